package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meshgate/meshgate/client"
)

// ssoTimeout bounds how long the CLI waits for the user to sign in at the provider.
const ssoTimeout = 10 * time.Minute

// loginSSO signs in through the server's identity provider: with the device
// authorization grant when the provider offers it (a code to enter on any
// device), else with a browser sent back to a loopback port; then it trades
// the provider's ID token for a meshgate API token.
func (c *LoginCmd) loginSSO(ctx context.Context, g *Globals) error {
	cl := g.Client()
	lp, err := cl.LoginProviders(ctx)
	if err != nil {
		return err
	}
	p, err := pickProvider(lp.Providers, c.Provider)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ssoTimeout)
	defer cancel()
	op, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		return fmt.Errorf("identity provider %s (%s) cannot be reached: %w", p.DisplayName, p.Issuer, err)
	}
	var meta struct {
		DeviceAuth string `json:"device_authorization_endpoint"`
	}
	op.Claims(&meta)
	cfg := &oauth2.Config{ClientID: p.CLIClientID, Endpoint: op.Endpoint(), Scopes: p.Scopes}
	var tok *oauth2.Token
	if meta.DeviceAuth != "" && !c.Browser {
		cfg.Endpoint.DeviceAuthURL = meta.DeviceAuth
		tok, err = deviceSignIn(ctx, g, cfg)
	} else {
		tok, err = loopbackSignIn(ctx, g, cfg)
	}
	if err != nil {
		return err
	}
	idToken, _ := tok.Extra("id_token").(string)
	if idToken == "" {
		return errors.New("the identity provider sent no ID token; is the openid scope allowed for the CLI's client?")
	}
	nt, err := cl.ExchangeIDToken(ctx, p.Name, idToken, c.TokenName, c.Expires)
	if err != nil {
		return err
	}
	return printLoginToken(g, nt.Token.Username, nt)
}

func pickProvider(ps []*client.LoginProvider, name string) (*client.LoginProvider, error) {
	var names []string
	for _, p := range ps {
		if p.Name == name || name == "" && len(ps) == 1 {
			return p, nil
		}
		names = append(names, p.Name)
	}
	switch {
	case len(ps) == 0:
		return nil, errors.New("the server signs in through no identity provider; sign in with --username")
	case name == "":
		return nil, fmt.Errorf("the server has several identity providers (%s); choose one with --provider", strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("the server has no identity provider %q; it has %s", name, strings.Join(names, ", "))
}

// deviceSignIn runs the device authorization grant (RFC 8628).
func deviceSignIn(ctx context.Context, g *Globals, cfg *oauth2.Config) (*oauth2.Token, error) {
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("start the device sign-in: %w", err)
	}
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(g.stderr, "To sign in, open %s\n(or open %s and enter the code %s)\n", da.VerificationURIComplete, da.VerificationURI, da.UserCode)
	} else {
		fmt.Fprintf(g.stderr, "To sign in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		return nil, fmt.Errorf("device sign-in: %w", err)
	}
	return tok, nil
}

// loopbackSignIn sends the user's browser to the provider, with PKCE and a
// state, and waits for it to come back to a loopback port (RFC 8252).
func loopbackSignIn(ctx context.Context, g *Globals, cfg *oauth2.Config) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	cfg.RedirectURL = "http://" + ln.Addr().String() + "/callback"
	b := make([]byte, 24)
	rand.Read(b)
	state, verifier := base64.RawURLEncoding.EncodeToString(b), oauth2.GenerateVerifier()
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		res := result{code: q.Get("code")}
		switch {
		case q.Get("state") != state:
			res.err = errors.New("the browser came back with another sign-in's state; try again")
		case q.Get("error") != "":
			res.err = fmt.Errorf("the identity provider refused: %s %s", q.Get("error"), q.Get("error_description"))
		case res.code == "":
			res.err = errors.New("the identity provider sent no code")
		}
		msg := "Signed in; you may close this window and return to the terminal."
		if res.err != nil {
			msg = res.err.Error()
		}
		fmt.Fprintf(w, "<!doctype html><title>meshgate</title><p>%s</p>", html.EscapeString(msg))
		select {
		case done <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(g.stderr, "To sign in, open this URL in your browser:\n%s\n", cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("waited for the browser sign-in: %w", ctx.Err())
	case res := <-done:
		if res.err != nil {
			return nil, res.err
		}
		tok, err := cfg.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
		if err != nil {
			return nil, fmt.Errorf("exchange the code: %w", err)
		}
		return tok, nil
	}
}

// PasswordSignInCmd switches password sign-in on or off.
type PasswordSignInCmd struct {
	State string `arg:"" enum:"on,off" help:"on or off."`
}

// Run switches password sign-in.
func (c *PasswordSignInCmd) Run(ctx context.Context, g *Globals) error {
	if err := g.Client().SetPasswordSignIn(ctx, c.State == "on"); err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]bool{"enabled": c.State == "on"}) // the API's answer
	}
	_, err := fmt.Fprintf(g.stdout, "password sign-in %s\n", c.State)
	return err
}
