package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Exchange is an ID token the CLI got from a provider, to trade for a
// meshgate API token.
type Exchange struct {
	Provider string
	IDToken  string
	// TokenName names the API token (default "sso").
	TokenName string
	// TTL is the API token's lifetime (default 30 days).
	TTL        time.Duration
	RemoteAddr string
	RequestID  string
}

// DefaultExchangeTTL is the lifetime of an API token the CLI gets through a provider.
const DefaultExchangeTTL = 30 * 24 * time.Hour

// exchangeFreshness bounds an exchanged ID token's age: the CLI trades it at once.
const exchangeFreshness = 10 * time.Minute

// ExchangeIDToken verifies an ID token the provider issued to its CLI or web
// client (signature, issuer, audience, expiry with bounded skew, issued in
// the last 10 minutes), maps its groups like a browser sign-in, and issues an
// API token for its user. Each ID token is taken once: a replay is refused.
// Sign-in, just-in-time creation, role changes and refusals are audited.
// Errors: EINVALID, EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (provider),
// EUNAVAILABLE, ERATELIMIT.
func (s *Service) ExchangeIDToken(ctx context.Context, e Exchange) (*mesh.Token, string, error) {
	p, err := s.provider(e.Provider)
	if err != nil {
		return nil, "", err
	}
	if err := s.allow(e.RemoteAddr); err != nil {
		return nil, "", err
	}
	if e.IDToken == "" || len(e.IDToken) > 16<<10 {
		return nil, "", mesh.Invalid("id_token", "is required (a JWT of at most 16 KiB)")
	}
	if e.TokenName == "" {
		e.TokenName = "sso"
	}
	if e.TTL == 0 {
		e.TTL = DefaultExchangeTTL
	}
	tok, secret, err := s.exchange(ctx, p, e)
	if err != nil && !mesh.IsCode(err, mesh.EINVALID) && !mesh.IsCode(err, mesh.EUNAVAILABLE) {
		s.refused(ctx, e.Provider, e.RemoteAddr, e.RequestID, err)
	}
	return tok, secret, err
}

func (s *Service) exchange(ctx context.Context, p *provider, e Exchange) (*mesh.Token, string, error) {
	op, err := p.discover(ctx)
	if err != nil {
		return nil, "", err
	}
	idt, err := s.verifyIDToken(ctx, p, op, e.IDToken, p.cfg.CLIClientID, p.cfg.ClientID)
	if err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	if now.Sub(idt.IssuedAt) > exchangeFreshness+s.cfg.ClockSkew {
		return nil, "", mesh.Errorf(mesh.EUNAUTHORIZED, "the ID token was issued at %s, more than %s ago; sign in again", idt.IssuedAt.UTC().Format(time.RFC3339), exchangeFreshness)
	}
	// The digest of the token's claims is kept until the token expires: the
	// second exchange of one token finds it taken. The claims, the payload
	// its signature covers, and not the token's text: a signature has more
	// than one encoding that verifies (spare bits in its last base64url
	// character, ECDSA's s and n-s), and each would be a token anew. Marks of
	// tokens expired go as others are exchanged.
	var claims json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, "", fmt.Errorf("read the ID token's claims: %w", err)
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteExpiredIDTokenMarks(ctx, now); err != nil {
			return err
		}
		return tx.MarkIDTokenExchanged(ctx, hashOf(string(claims)), p.cfg.Name, now, idt.Expiry.Add(s.cfg.ClockSkew))
	})
	if mesh.IsCode(err, mesh.ECONFLICT) {
		return nil, "", mesh.Errorf(mesh.EUNAUTHORIZED, "this ID token was exchanged already (a replay?); sign in again")
	}
	if err != nil {
		return nil, "", err
	}
	u, detail, err := s.resolve(ctx, p, idt, e.RemoteAddr, e.RequestID)
	if err != nil {
		return nil, "", err
	}
	return s.auth.IssueToken(ctx, u, e.TokenName, e.TTL, e.RemoteAddr, e.RequestID, detail)
}

// LogoutURL returns where to send a browser after its meshgate session
// ended, to end its session at the provider too (RP-initiated logout), or ""
// when the user did not sign in through a provider that offers it.
func (s *Service) LogoutURL(ctx context.Context, userID int64) string {
	if s == nil {
		return ""
	}
	var name string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		name, _, err = tx.IdentityOf(ctx, userID)
		return err
	})
	if err != nil {
		return ""
	}
	p, ok := s.providers[name]
	if !ok {
		return ""
	}
	if _, err := p.discover(ctx); err != nil {
		return ""
	}
	p.mu.Lock()
	end := p.meta.EndSession
	p.mu.Unlock()
	u, err := url.Parse(end)
	if end == "" || err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", p.cfg.ClientID)
	q.Set("post_logout_redirect_uri", s.cfg.PublicURL+"/")
	u.RawQuery = q.Encode()
	return u.String()
}

// looksLikeJWT tells a JWT (three base64url parts) from a meshgate API token.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && !strings.HasPrefix(s, "mgt_")
}

// AuthenticateBearer resolves a provider's JWT access token to an actor,
// for pipelines calling with their workload identity: a provider with an
// AccessTokenAudience whose keys verify it (signature, issuer, that
// audience, expiry with bounded skew); its groups map like a sign-in's, and
// its subject's user is found or created. It returns (nil, nil) for a token
// that is no JWT or when no provider takes access tokens, so API tokens are
// tried instead. Errors: EUNAUTHORIZED, EFORBIDDEN, EUNAVAILABLE (the
// provider or its keys cannot be reached).
func (s *Service) AuthenticateBearer(ctx context.Context, raw string) (*mesh.Actor, error) {
	if s == nil || !looksLikeJWT(raw) {
		return nil, nil
	}
	var lastErr error
	tried := false
	for _, n := range s.order {
		p := s.providers[n]
		if p.cfg.AccessTokenAudience == "" {
			continue
		}
		tried = true
		op, err := p.discover(ctx)
		if err != nil {
			lastErr = err
			continue
		}
		idt, err := s.verifyIDToken(ctx, p, op, raw, p.cfg.AccessTokenAudience)
		if err != nil {
			lastErr = err
			continue
		}
		u, _, err := s.resolve(ctx, p, idt, "", "")
		if err != nil {
			return nil, err
		}
		return s.auth.Actor(u), nil
	}
	if !tried {
		return nil, nil
	}
	return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "the bearer token is not an access token of a configured identity provider: %v", mesh.ErrorMessage(lastErr))
}
