package oidc

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// StateCookie binds a sign-in under way to the browser that started it, so a
// callback carrying someone else's state (login CSRF) is refused.
const StateCookie = "meshgate_oidc_state"

// Start is a browser sign-in begun: send the browser to URL with State in
// the StateCookie.
type Start struct {
	URL   string
	State string
}

// Begin starts a sign-in through provider name: it keeps a fresh state,
// nonce and PKCE verifier server-side, valid for LoginTTL, and returns the
// provider's authorization URL. returnTo (a local path) is where the
// browser lands once signed in. Errors: ENOTFOUND (provider), EUNAVAILABLE,
// ERATELIMIT (too many from remoteAddr).
func (s *Service) Begin(ctx context.Context, name, returnTo, remoteAddr string) (*Start, error) {
	p, err := s.provider(name)
	if err != nil {
		return nil, err
	}
	if err := s.allow(remoteAddr); err != nil {
		return nil, err
	}
	op, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	l := &store.OIDCLogin{Provider: name, Nonce: nonce, Verifier: verifier, Return: safeReturn(returnTo),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.LoginTTL)}
	// Sign-ins never finished go as others start.
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteExpiredOIDCLogins(ctx, now); err != nil {
			return err
		}
		return tx.CreateOIDCLogin(ctx, hashOf(state), l)
	})
	if err != nil {
		return nil, err
	}
	u := p.oauth2(op).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce))
	return &Start{URL: u, State: state}, nil
}

// Callback is what the provider sent the browser back with.
type Callback struct {
	Provider string
	// State and Code are the query's; Error and ErrorDescription the
	// provider's refusal, if any.
	State, Code, Error, ErrorDescription string
	// CookieState is the StateCookie's value.
	CookieState string
	RemoteAddr  string
	RequestID   string
}

// Finished is a completed browser sign-in.
type Finished struct {
	Login *auth.Login
	// Return is the local path to send the browser to.
	Return string
}

// Finish completes a browser sign-in: the state must be the one this
// browser started, unused and unexpired (it is used up whatever happens
// next); the code is exchanged with the PKCE verifier; the ID token is
// verified (signature, issuer, audience, expiry with bounded skew, nonce);
// its groups map to an account and roles; the user is found or created and
// signed in with a session like a password sign-in's. Every refusal past the
// state check is audited. Errors: EUNAUTHORIZED, EFORBIDDEN (no mapped
// group), ENOTFOUND (provider), EUNAVAILABLE.
func (s *Service) Finish(ctx context.Context, c Callback) (*Finished, error) {
	p, err := s.provider(c.Provider)
	if err != nil {
		return nil, err
	}
	if c.State == "" || c.CookieState == "" || subtle.ConstantTimeCompare([]byte(c.State), []byte(c.CookieState)) != 1 {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "this sign-in was not started in this browser, or its cookie is gone; start again")
	}
	// Any client sets the cookie it likes: a state Begin could not have
	// made takes nothing, whatever else is kept under its hash.
	if !isState(c.State) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "this sign-in is unknown or was used already; start again")
	}
	var l *store.OIDCLogin
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		l, err = tx.TakeOIDCLogin(ctx, hashOf(c.State))
		return err
	})
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "this sign-in is unknown or was used already; start again")
	}
	if err != nil {
		return nil, err
	}
	f, err := s.finish(ctx, p, l, c)
	if err != nil {
		s.refused(ctx, c.Provider, c.RemoteAddr, c.RequestID, err)
		return nil, err
	}
	return f, nil
}

func (s *Service) finish(ctx context.Context, p *provider, l *store.OIDCLogin, c Callback) (*Finished, error) {
	if l.Provider != c.Provider {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "this sign-in was started with another identity provider; start again")
	}
	if !s.clock.Now().Before(l.ExpiresAt) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "this sign-in took longer than %s; start again", s.cfg.LoginTTL)
	}
	if c.Error != "" {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the identity provider refused the sign-in: %s %s", clip(c.Error), clip(c.ErrorDescription))
	}
	if c.Code == "" {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the identity provider sent no code")
	}
	op, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.oauth2(op).Exchange(p.ctx(ctx), c.Code, oauth2.VerifierOption(l.Verifier))
	if err != nil {
		// its text quotes the provider's answer, for the logs only
		s.log.WarnContext(ctx, "oidc: the identity provider refused the sign-in code", "provider", p.cfg.Name,
			"request_id", c.RequestID, "err", err)
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the identity provider at %s refused the sign-in code; start again", p.cfg.Issuer)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the identity provider sent no ID token")
	}
	idt, err := s.verifyIDToken(ctx, p, op, raw, p.cfg.ClientID)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the ID token's nonce is not this sign-in's (a replayed token?)")
	}
	u, detail, err := s.resolve(ctx, p, idt, c.RemoteAddr, c.RequestID)
	if err != nil {
		return nil, err
	}
	login, err := s.auth.StartSession(ctx, u, c.RemoteAddr, c.RequestID, "auth.login-identity", detail)
	if err != nil {
		return nil, err
	}
	return &Finished{Login: login, Return: l.Return}, nil
}

// verifyIDToken checks a JWT's signature against the provider's keys, its
// issuer, expiry (with the bounded skew) and that it was not issued in the
// future, and that one of audiences is among its audiences. Errors:
// EUNAUTHORIZED, EUNAVAILABLE (the provider's keys cannot be fetched).
func (s *Service) verifyIDToken(ctx context.Context, p *provider, op *gooidc.Provider, raw string, audiences ...string) (*gooidc.IDToken, error) {
	idt, err := p.verifierFor(op, s.cfg.ClockSkew).Verify(p.ctx(ctx), raw)
	if err != nil && strings.Contains(err.Error(), "fetching keys") {
		// go-oidc could not fetch the key set, and its text (it wraps
		// with %v, so only the text tells) quotes the provider's answer:
		// the provider failed, not the token
		s.log.WarnContext(ctx, "identity provider's signing keys unavailable", "provider", p.cfg.Name, "err", err)
		return nil, mesh.Errorf(mesh.EUNAVAILABLE, "the identity provider at %s did not give its signing keys; try again later", p.cfg.Issuer)
	}
	if err != nil {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the token from %s is not valid: %v", p.cfg.DisplayName, err)
	}
	if !slices.ContainsFunc(audiences, func(a string) bool { return slices.Contains(idt.Audience, a) }) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the token from %s is for audience %v, not meshgate's %v", p.cfg.DisplayName, idt.Audience, audiences)
	}
	if idt.IssuedAt.After(s.clock.Now().Add(s.cfg.ClockSkew)) {
		return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the token from %s was issued in the future (%s); check the clocks", p.cfg.DisplayName, idt.IssuedAt)
	}
	return idt, nil
}

// refused audits a refused sign-in; a failure to audit is logged, the
// refusal stands.
func (s *Service) refused(ctx context.Context, provider, remoteAddr, requestID string, refusal error) {
	if err := s.auth.AuditRefusal(context.WithoutCancel(ctx), remoteAddr, requestID, "identity-provider/"+provider, refusal); err != nil {
		s.log.Error("audit a refused sign-in", "err", err)
	}
}

// clip bounds what a provider's error text adds to a message.
func clip(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
