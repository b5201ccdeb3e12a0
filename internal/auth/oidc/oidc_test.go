package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/auth/oidc/oidctest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const publicURL = "http://127.0.0.1:9"

// offsetClock is the real time moved by an offset: the provider signs with
// the real clock, and meshgate's may run ahead of it.
type offsetClock struct{ d atomic.Int64 }

func (c *offsetClock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.d.Load())) }

type fixture struct {
	store store.Store
	auth  *auth.Service
	svc   *oidc.Service
	op    *oidctest.Provider
	clock *offsetClock
}

var rules = []oidc.Rule{
	{Group: "mesh-admins", AccountID: "central", Role: mesh.RoleAdmin},
	{Group: "mesh-sales-approvers", AccountID: "111122223333", Role: mesh.RoleApprover},
	{Group: "mesh-sales", AccountID: "111122223333", Role: mesh.RoleMember},
}

func newFixture(t *testing.T, s store.Store, edit func(*oidc.ProviderConfig)) *fixture {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, id := range []string{"central", "111122223333"} {
			now := time.Now()
			if err := tx.CreateAccount(ctx, &mesh.Account{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	op := oidctest.Start(t)
	op.AddUser("ann", "ann@example.com", []string{"mesh-sales", "mesh-sales-approvers", "unrelated"})
	op.AddUser("bob", "bob@example.com", []string{"unrelated"})
	op.AddUser("cat", "cat@example.com", nil)
	op.AddUser("dan", "dan@example.com", []string{"mesh-admins", "mesh-sales"})
	clock := &offsetClock{}
	a := auth.NewService(s, clock, auth.Options{Argon2: auth.Argon2Params{Time: 1, Memory: 64, Threads: 1}})
	pc := oidc.ProviderConfig{Name: "corp", DisplayName: "Corp SSO", Issuer: op.Issuer, ClientID: oidctest.WebClientID,
		ClientSecret: oidctest.WebClientSecret, CLIClientID: oidctest.CLIClientID, Rules: rules,
		AccessTokenAudience: oidctest.WebClientID}
	if edit != nil {
		edit(&pc)
	}
	svc, err := oidc.New(oidc.Config{PublicURL: publicURL, Providers: []oidc.ProviderConfig{pc}}, s, a, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: s, auth: a, svc: svc, op: op, clock: clock}
}

// browserSignIn starts a sign-in, signs in at the provider as username and
// returns the callback meshgate would get.
func (f *fixture) browserSignIn(t *testing.T, username string) oidc.Callback {
	t.Helper()
	start, err := f.svc.Begin(context.Background(), "corp", "/ui/shares", "192.0.2.7")
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	_, at, _ := oidctest.NewBrowser().SignIn(t, f.op, start.URL, username, publicURL)
	u, _ := url.Parse(at)
	if u.Path != "/auth/oidc/corp/callback" {
		t.Fatalf("the provider sent the browser to %s, want the callback", at)
	}
	return oidc.Callback{Provider: "corp", State: u.Query().Get("state"), Code: u.Query().Get("code"),
		CookieState: start.State, RemoteAddr: "192.0.2.7"}
}

func (f *fixture) user(t *testing.T, username string) *mesh.User {
	t.Helper()
	var u *mesh.User
	err := f.store.View(context.Background(), func(tx store.Tx) (err error) {
		u, _, err = tx.FindUserByUsername(context.Background(), username)
		return err
	})
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u
}

func (f *fixture) userCount(t *testing.T) int {
	t.Helper()
	var n int
	err := f.store.View(context.Background(), func(tx store.Tx) (err error) { n, err = tx.CountUsers(context.Background()); return err })
	if err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func (f *fixture) audit(t *testing.T, action string) []*mesh.AuditEntry {
	t.Helper()
	var es []*mesh.AuditEntry
	err := f.store.View(context.Background(), func(tx store.Tx) (err error) {
		es, err = tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: action})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func wantCode(t *testing.T, err error, code, text string) {
	t.Helper()
	if !mesh.IsCode(err, code) || !strings.Contains(mesh.ErrorMessage(err), text) {
		t.Fatalf("got %v, want %s saying %q", err, code, text)
	}
}

// TestCodeFlow signs in through the provider: a user created just in time
// with the roles of its groups, its roles following the groups at the next
// sign-in, and a second sign-in finding the same user.
func TestCodeFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()
		fin, err := f.svc.Finish(ctx, f.browserSignIn(t, "ann"))
		if err != nil {
			t.Fatalf("finish: %v", err)
		}
		u := fin.Login.User
		if u.Username != "ann" || u.AccountID != "111122223333" || !slices.Equal(u.Roles, []string{"approver", "member"}) || u.Email != "ann@example.com" {
			t.Errorf("got user %+v, want ann of 111122223333, approver and member", u)
		}
		if fin.Return != "/ui/shares" {
			t.Errorf("return: got %q, want /ui/shares", fin.Return)
		}
		if u.MustChangePassword {
			t.Errorf("got a user that must change a password it never had")
		}
		// The session is a session like any other.
		actor, err := f.auth.Authenticate(ctx, cookieRequest(fin.Login.Secret))
		if err != nil || actor.UserID != u.ID {
			t.Fatalf("session: got %+v, %v, want user %d", actor, err, u.ID)
		}
		if es := f.audit(t, "user.create-from-identity"); len(es) != 1 || !strings.Contains(es[0].Principal, "ann") || es[0].RemoteAddr != "192.0.2.7" {
			t.Errorf("got creation entries %+v, want one by ann from 192.0.2.7", es)
		}
		if n := len(f.audit(t, "auth.login-identity")); n != 1 {
			t.Errorf("got %d sign-in entries, want 1", n)
		}

		// The approvers group goes: so does the role, at the next sign-in.
		f.op.SetGroups("ann", []string{"mesh-sales"})
		fin, err = f.svc.Finish(ctx, f.browserSignIn(t, "ann"))
		if err != nil {
			t.Fatalf("second sign-in: %v", err)
		}
		if fin.Login.User.ID != u.ID || !slices.Equal(fin.Login.User.Roles, []string{"member"}) {
			t.Errorf("got %+v, want the same user, member only", fin.Login.User)
		}
		if got := f.user(t, "ann").Roles; !slices.Equal(got, []string{"member"}) {
			t.Errorf("stored roles: got %v, want [member]", got)
		}
		es := f.audit(t, "user.roles-from-identity")
		if len(es) != 1 || !strings.Contains(es[0].Detail, "approver,member -> member") {
			t.Errorf("got role change entries %+v, want one naming approver,member -> member", es)
		}
		if f.userCount(t) != 1 {
			t.Errorf("got %d users, want 1", f.userCount(t))
		}
	})
}

func cookieRequest(secret string) *http.Request {
	r := httptest.NewRequest("GET", "/api/v1/me", nil)
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
	return r
}

// TestUsernameTaken gives a just-in-time user a free name when a local user
// holds its preferred one, and never the local user's account.
func TestUsernameTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateUser(ctx, &mesh.User{AccountID: "central", Username: "ann", Roles: []string{"admin"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}, "h")
		})
		if err != nil {
			t.Fatal(err)
		}
		fin, err := f.svc.Finish(ctx, f.browserSignIn(t, "ann"))
		if err != nil {
			t.Fatalf("finish: %v", err)
		}
		if fin.Login.User.Username != "ann-2" || fin.Login.User.AccountID != "111122223333" {
			t.Errorf("got %s of %s, want ann-2 of 111122223333", fin.Login.User.Username, fin.Login.User.AccountID)
		}
	})
}

// TestRefusals: every bad case is refused, clearly, with nothing created.
func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()

		t.Run("no mapped group", func(t *testing.T) {
			_, err := f.svc.Finish(ctx, f.browserSignIn(t, "bob"))
			wantCode(t, err, mesh.EFORBIDDEN, "none of your groups (unrelated) gives access")
		})
		t.Run("no groups claim", func(t *testing.T) {
			_, err := f.svc.Finish(ctx, f.browserSignIn(t, "cat"))
			wantCode(t, err, mesh.EFORBIDDEN, `sent no "groups" claim`)
		})
		t.Run("groups of two accounts", func(t *testing.T) {
			_, err := f.svc.Finish(ctx, f.browserSignIn(t, "dan"))
			wantCode(t, err, mesh.EFORBIDDEN, "several accounts")
		})
		if n := f.userCount(t); n != 0 {
			t.Errorf("got %d users after refusals, want 0", n)
		}
		if n := len(f.audit(t, "auth.login-identity")); n != 3 {
			t.Errorf("got %d refusal entries, want 3", n)
		}

		t.Run("replayed state", func(t *testing.T) {
			cb := f.browserSignIn(t, "ann")
			if _, err := f.svc.Finish(ctx, cb); err != nil {
				t.Fatalf("first: %v", err)
			}
			_, err := f.svc.Finish(ctx, cb)
			wantCode(t, err, mesh.EUNAUTHORIZED, "unknown or was used already")
		})
		t.Run("state of another browser", func(t *testing.T) {
			cb := f.browserSignIn(t, "ann")
			other, _ := f.svc.Begin(ctx, "corp", "/", "192.0.2.7")
			cb.CookieState = other.State
			_, err := f.svc.Finish(ctx, cb)
			wantCode(t, err, mesh.EUNAUTHORIZED, "not started in this browser")
		})
		t.Run("replayed nonce", func(t *testing.T) {
			// The code and verifier of one sign-in arrive under another
			// state whose nonce differs: the ID token's nonce gives it away.
			cb := f.browserSignIn(t, "ann")
			var l *store.OIDCLogin
			err := s.Update(ctx, func(tx store.Tx) (err error) { l, err = tx.TakeOIDCLogin(ctx, hashOf(cb.State)); return err })
			if err != nil {
				t.Fatal(err)
			}
			l.Nonce = "a-nonce-of-another-sign-in"
			other := strings.Repeat("o", 43)
			err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateOIDCLogin(ctx, hashOf(other), l) })
			if err != nil {
				t.Fatal(err)
			}
			cb.State, cb.CookieState = other, other
			_, err = f.svc.Finish(ctx, cb)
			wantCode(t, err, mesh.EUNAUTHORIZED, "nonce")
		})
		t.Run("state not of meshgate's making", func(t *testing.T) {
			// The client sets the cookie too: a state Begin would not give
			// takes nothing kept under its hash.
			cb := f.browserSignIn(t, "ann")
			var l *store.OIDCLogin
			err := s.Update(ctx, func(tx store.Tx) (err error) { l, err = tx.TakeOIDCLogin(ctx, hashOf(cb.State)); return err })
			if err != nil {
				t.Fatal(err)
			}
			for _, state := range []string{"id-token:x", strings.Repeat("o", 42), strings.Repeat("o", 44), strings.Repeat("o", 42) + "p"} {
				err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateOIDCLogin(ctx, hashOf(state), l) })
				if err != nil {
					t.Fatal(err)
				}
				cb.State, cb.CookieState = state, state
				_, err = f.svc.Finish(ctx, cb)
				wantCode(t, err, mesh.EUNAUTHORIZED, "unknown or was used already")
				err = s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeOIDCLogin(ctx, hashOf(state)); return err })
				if err != nil {
					t.Errorf("state %q: got %v, want what is kept under its hash left there", state, err)
				}
			}
		})
		t.Run("provider error", func(t *testing.T) {
			start, _ := f.svc.Begin(ctx, "corp", "/", "192.0.2.7")
			_, err := f.svc.Finish(ctx, oidc.Callback{Provider: "corp", State: start.State, CookieState: start.State, Error: "access_denied"})
			wantCode(t, err, mesh.EUNAUTHORIZED, "access_denied")
		})
	})
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// reencodeSignature spells raw's signature with another last character that
// decodes to the same bytes, as a lenient base64url decoder takes it.
func reencodeSignature(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	sig := parts[2]
	want, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, c := range alphabet {
		alt := sig[:len(sig)-1] + string(c)
		if got, err := base64.RawURLEncoding.DecodeString(alt); alt != sig && err == nil && string(got) == string(want) {
			parts[2] = alt
			return strings.Join(parts, ".")
		}
	}
	t.Fatalf("no other encoding of signature %s", sig)
	return ""
}

// TestExchange trades the CLI's ID tokens for API tokens, and refuses
// tokens of another issuer, audience or signature, expired or replayed ones.
func TestExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()
		cliToken := func(t *testing.T, p *oidctest.Provider) string {
			return p.Tokens(t, oidctest.CLIClientID, "", "http://127.0.0.1:1/callback", "ann").Extra("id_token").(string)
		}
		ex := func(raw string) error {
			_, _, err := f.svc.ExchangeIDToken(ctx, oidc.Exchange{Provider: "corp", IDToken: raw, RemoteAddr: "192.0.2.8"})
			return err
		}

		raw := cliToken(t, f.op)
		tok, secret, err := f.svc.ExchangeIDToken(ctx, oidc.Exchange{Provider: "corp", IDToken: raw, TokenName: "laptop"})
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		actor, err := f.auth.AuthenticateToken(ctx, secret)
		if err != nil || actor.Username != "ann" || tok.Name != "laptop" || tok.ExpiresAt == nil {
			t.Fatalf("got %+v, %+v, %v, want ann's expiring token laptop", tok, actor, err)
		}
		t.Run("replayed", func(t *testing.T) { wantCode(t, ex(raw), mesh.EUNAUTHORIZED, "exchanged already") })
		t.Run("replayed with its signature encoded otherwise", func(t *testing.T) {
			// The signature's last character has bits to spare: another
			// character decodes to the same signature, which still verifies.
			wantCode(t, ex(reencodeSignature(t, raw)), mesh.EUNAUTHORIZED, "exchanged already")
		})
		t.Run("replayed after a callback with its state", func(t *testing.T) {
			// A client sets the state cookie itself: a callback whose
			// state names where the used token is kept must not free it.
			claims, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
			for _, state := range []string{raw, "id-token:" + raw, string(claims), "id-token:" + string(claims)} {
				_, err := f.svc.Finish(ctx, oidc.Callback{Provider: "corp", State: state, CookieState: state, Code: "x", RemoteAddr: "198.51.100.9"})
				if err == nil {
					t.Fatalf("a callback with state %.20q... signed in", state)
				}
			}
			wantCode(t, ex(raw), mesh.EUNAUTHORIZED, "exchanged already")
		})
		t.Run("wrong audience", func(t *testing.T) {
			other := f.op.Tokens(t, oidctest.OtherClientID, oidctest.OtherClientSecret, "http://127.0.0.1:1/callback", "ann").Extra("id_token").(string)
			wantCode(t, ex(other), mesh.EUNAUTHORIZED, "audience")
		})
		t.Run("wrong issuer", func(t *testing.T) {
			wantCode(t, ex(cliToken(t, f.op.StartTwin(t))), mesh.EUNAUTHORIZED, "issued by a different provider")
		})
		t.Run("bad signature", func(t *testing.T) {
			// Claim the admins group in a real token: the signature no longer fits.
			parts := strings.Split(cliToken(t, f.op), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			payload = []byte(strings.Replace(string(payload), `"groups":[`, `"groups":["mesh-admins",`, 1))
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			wantCode(t, ex(strings.Join(parts, ".")), mesh.EUNAUTHORIZED, "signature")
		})
		t.Run("expired", func(t *testing.T) {
			raw := cliToken(t, f.op)
			f.clock.d.Store(int64(2 * time.Hour))
			defer f.clock.d.Store(0)
			wantCode(t, ex(raw), mesh.EUNAUTHORIZED, "expired")
		})
		t.Run("within the skew", func(t *testing.T) {
			// ID tokens live 5 minutes; 30s past expiry is within the minute of skew.
			raw := cliToken(t, f.op)
			f.clock.d.Store(int64(5*time.Minute + 30*time.Second))
			defer f.clock.d.Store(0)
			if err := ex(raw); err != nil {
				t.Fatalf("got %v, want the token accepted within the skew", err)
			}
		})
		t.Run("issued over 10 minutes ago", func(t *testing.T) {
			// A provider whose ID tokens live an hour: still unexpired,
			// one issued more than 10 minutes (and the skew) ago is refused.
			f.op.SetIDTokenLifetime(time.Hour)
			defer f.op.SetIDTokenLifetime(0)
			fresh, stale := cliToken(t, f.op), cliToken(t, f.op)
			f.clock.d.Store(int64(9 * time.Minute))
			if err := ex(fresh); err != nil {
				t.Errorf("9 minutes old: got %v, want it exchanged", err)
			}
			f.clock.d.Store(int64(11*time.Minute + 30*time.Second))
			defer f.clock.d.Store(0)
			wantCode(t, ex(stale), mesh.EUNAUTHORIZED, "more than 10m0s ago")
		})
		t.Run("not a token", func(t *testing.T) { wantCode(t, ex(""), mesh.EINVALID, "is required") })
		if n := f.userCount(t); n != 1 {
			t.Errorf("got %d users, want 1", n)
		}
	})
}

// TestBearer accepts the provider's JWT access tokens for the configured
// audience only.
func TestBearer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()
		access := f.op.Tokens(t, oidctest.WebClientID, oidctest.WebClientSecret, publicURL+"/auth/oidc/corp/callback", "ann").AccessToken
		actor, err := f.svc.AuthenticateBearer(ctx, access)
		// An access token holds no profile: the user is named after its subject.
		if err != nil || actor == nil || !strings.HasPrefix(actor.Username, "user-") || actor.AccountID != "111122223333" ||
			!slices.Equal(actor.Roles, []string{"approver", "member"}) {
			t.Fatalf("got %+v, %v, want a user of 111122223333, approver and member", actor, err)
		}
		// A browser sign-in of the same subject finds that user.
		fin, err := f.svc.Finish(ctx, f.browserSignIn(t, "ann"))
		if err != nil || fin.Login.User.ID != actor.UserID {
			t.Fatalf("got %+v, %v, want user %d", fin, err, actor.UserID)
		}
		other := f.op.Tokens(t, oidctest.OtherClientID, oidctest.OtherClientSecret, "http://127.0.0.1:1/callback", "ann").AccessToken
		_, err = f.svc.AuthenticateBearer(ctx, other)
		wantCode(t, err, mesh.EUNAUTHORIZED, "audience")
		if a, err := f.svc.AuthenticateBearer(ctx, "mgt_abc.def.ghi"); a != nil || err != nil {
			t.Errorf("an API token: got %v, %v, want it left to the token check", a, err)
		}
	})
}

// TestUnreachable: a provider that does not answer leaves its sign-ins
// unavailable, and they work once it answers.
func TestUnreachable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, func(pc *oidc.ProviderConfig) { pc.Issuer = "http://127.0.0.1:1" })
		f.svc.Discover(context.Background())
		_, err := f.svc.Begin(context.Background(), "corp", "/", "192.0.2.7")
		wantCode(t, err, mesh.EUNAVAILABLE, "unavailable")
		if ps := f.svc.Providers(); len(ps) != 1 || ps[0].LoginURL != "/auth/oidc/corp/login" || ps[0].DisplayName != "Corp SSO" {
			t.Errorf("got providers %+v, want corp listed with its login URL", ps)
		}
	})
}

// TestProviderComesUp: sign-in through a provider that was down at start
// works once it answers, without a restart.
func TestProviderComesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		clock := &offsetClock{}
		a := auth.NewService(s, clock, auth.Options{Argon2: auth.Argon2Params{Time: 1, Memory: 64, Threads: 1}})
		svc, err := oidc.New(oidc.Config{PublicURL: publicURL, RetryEvery: 10 * time.Second, Providers: []oidc.ProviderConfig{{
			Name: "corp", Issuer: "http://" + addr, ClientID: oidctest.WebClientID, Rules: rules}}}, s, a, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, err = svc.Begin(ctx, "corp", "/", "192.0.2.1")
		wantCode(t, err, mesh.EUNAVAILABLE, "cannot be reached")
		oidctest.StartOn(t, addr)
		// Within RetryEvery the provider is not asked again.
		_, err = svc.Begin(ctx, "corp", "/", "192.0.2.1")
		wantCode(t, err, mesh.EUNAVAILABLE, "cannot be reached")
		clock.d.Store(int64(11 * time.Second))
		if _, err := svc.Begin(ctx, "corp", "/", "192.0.2.1"); err != nil {
			t.Fatalf("once the provider answers: got %v, want a sign-in started", err)
		}
	})
}

func TestMap(t *testing.T) {
	pc := oidc.ProviderConfig{GroupsClaim: "groups", Rules: rules}
	tests := []struct {
		name    string
		claims  map[string]any
		account string
		roles   []string
		refusal string
	}{
		{"one group", map[string]any{"groups": []any{"mesh-sales"}}, "111122223333", []string{"member"}, ""},
		{"a single string", map[string]any{"groups": "mesh-admins"}, "central", []string{"admin"}, ""},
		{"two roles", map[string]any{"groups": []any{"mesh-sales-approvers", "mesh-sales", "x"}}, "111122223333", []string{"approver", "member"}, ""},
		{"no claim", map[string]any{}, "", nil, "no \"groups\" claim"},
		{"not a list", map[string]any{"groups": 7.0}, "", nil, "neither"},
		{"no match", map[string]any{"groups": []any{"x"}}, "", nil, "none of your groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := oidc.Map(pc, tt.claims)
			if tt.refusal != "" {
				wantCode(t, err, mesh.EFORBIDDEN, tt.refusal)
				return
			}
			if err != nil || m.AccountID != tt.account || !slices.Equal(m.Roles, tt.roles) {
				t.Errorf("got %+v, %v, want %s %v", m, err, tt.account, tt.roles)
			}
		})
	}
}

func TestUsername(t *testing.T) {
	tests := []struct{ preferred, email, subject, want string }{
		{"ann", "a@x", "s", "ann"},
		{"", "ann.lee@example.com", "s", "ann.lee@example.com"},
		{"Ann Lee", "", "s", "Ann-Lee"},
		{"аnn", "", "s", "nn"}, // a Cyrillic a is dropped, never kept as a look-alike
		{"", "", "subject-1", "user-"},
		{"--", "", "subject-1", "user-"},
	}
	for _, tt := range tests {
		got := oidc.Username(tt.preferred, tt.email, tt.subject)
		if !strings.HasPrefix(got, tt.want) || mesh.ValidateUsername("u", got) != nil {
			t.Errorf("Username(%q, %q, %q): got %q, want %q…", tt.preferred, tt.email, tt.subject, got, tt.want)
		}
	}
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		in   string
		want oidc.Rule
		bad  bool
	}{
		{in: "mesh-sales-approvers=111122223333:approver", want: oidc.Rule{Group: "mesh-sales-approvers", AccountID: "111122223333", Role: "approver"}},
		{in: "mesh-admins=central:admin", want: oidc.Rule{Group: "mesh-admins", AccountID: "central", Role: "admin"}},
		{in: "mesh-admins=central:owner", bad: true},
		{in: "mesh-admins", bad: true},
		{in: "=central:admin", bad: true},
		{in: "g=Not An Account:admin", bad: true},
	}
	for _, tt := range tests {
		got, err := oidc.ParseRule(tt.in)
		if tt.bad != (err != nil) || !tt.bad && got != tt.want {
			t.Errorf("ParseRule(%q): got %+v, %v, want %+v (bad %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

// TestStartLimit bounds the sign-ins one address may start.
func TestStartLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, nil)
		ctx := context.Background()
		for i := range 30 {
			if _, err := f.svc.Begin(ctx, "corp", "/", "192.0.2.9"); err != nil {
				t.Fatalf("start %d: %v", i+1, err)
			}
		}
		_, err := f.svc.Begin(ctx, "corp", "/", "192.0.2.9")
		wantCode(t, err, mesh.ERATELIMIT, "too many sign-ins")
		if _, err := f.svc.Begin(ctx, "corp", "/", "192.0.2.10"); err != nil {
			t.Errorf("another address: got %v, want it to start", err)
		}
	})
}

// TestReturnStaysOnThisServer: a return path that the redirect's cleaning
// would turn into one starting "/\" (another host, to a browser) is
// replaced by "/", as "//evil.example/" is.
func TestReturnStaysOnThisServer(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), nil)
	ctx := context.Background()
	for _, tt := range []struct{ ret, want string }{
		{"/catalog?q=a\\b", "/catalog?q=a\\b"},
		{"//evil.example/", "/"},
		{"/a/../\\evil.example/", "/"},
		{"/catalog#/../../\\evil.example/", "/"},
	} {
		start, err := f.svc.Begin(ctx, "corp", tt.ret, "192.0.2.7")
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		_, at, _ := oidctest.NewBrowser().SignIn(t, f.op, start.URL, "ann", publicURL)
		u, _ := url.Parse(at)
		fin, err := f.svc.Finish(ctx, oidc.Callback{Provider: "corp", State: u.Query().Get("state"), Code: u.Query().Get("code"),
			CookieState: start.State, RemoteAddr: "192.0.2.7"})
		if err != nil {
			t.Fatalf("finish: %v", err)
		}
		if fin.Return != tt.want {
			t.Errorf("return %q: got %q, want %q", tt.ret, fin.Return, tt.want)
		}
	}
}

// TestProviderAnswerNotShown: what an identity provider answers when it
// fails (its discovery document, its refusal of the sign-in code, its key
// set when the CLI's ID token is checked) goes to the logs, not to the caller or the audit log: its body may hold internals
// of the provider. The answer names the problem and the issuer.
func TestProviderAnswerNotShown(t *testing.T) {
	const marker = "PROVIDER-INTERNALS-7f3a"
	tests := []struct {
		name      string
		discovery bool // the discovery document fails
		keys      bool // the key set fails, when an ID token is exchanged
		token     string
		code      string
		text      string
	}{
		{"discovery fails", true, false, "", mesh.EUNAVAILABLE, "cannot be reached"},
		{"code refused with a JSON error", false, false, `{"error": "invalid_grant", "error_description": "` + marker + `"}`, mesh.EUNAUTHORIZED, "refused the sign-in code"},
		{"code refused with a text", false, false, marker + " stack trace", mesh.EUNAUTHORIZED, "refused the sign-in code"},
		{"keys fail", false, true, "", mesh.EUNAVAILABLE, "signing keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var issuer string
			idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/.well-known/openid-configuration" && tt.discovery:
					http.Error(w, marker+" database down", http.StatusInternalServerError)
				case r.URL.Path == "/.well-known/openid-configuration":
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"issuer": "`+issuer+`", "authorization_endpoint": "`+issuer+`/auth", "token_endpoint": "`+issuer+`/token",
						"jwks_uri": "`+issuer+`/keys", "id_token_signing_alg_values_supported": ["RS256"]}`)
				case r.URL.Path == "/keys":
					http.Error(w, marker+" key store down", http.StatusInternalServerError)
				case r.URL.Path == "/token":
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, tt.token)
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(idp.Close)
			issuer = idp.URL
			s := storetest.OpenSQLite(t, nil)
			var logs strings.Builder
			a := auth.NewService(s, mesh.SystemClock{}, auth.Options{Argon2: auth.Argon2Params{Time: 1, Memory: 64, Threads: 1}})
			svc, err := oidc.New(oidc.Config{PublicURL: publicURL, Providers: []oidc.ProviderConfig{{Name: "corp", DisplayName: "Corp SSO",
				Issuer: issuer, ClientID: oidctest.WebClientID, ClientSecret: oidctest.WebClientSecret, Rules: rules}}},
				s, a, mesh.SystemClock{}, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.keys {
				_, _, err = svc.ExchangeIDToken(ctx, oidc.Exchange{Provider: "corp", IDToken: unsignedIDToken(issuer, oidctest.WebClientID), RemoteAddr: "192.0.2.7"})
			} else {
				var start *oidc.Start
				start, err = svc.Begin(ctx, "corp", "/", "192.0.2.7")
				if err == nil {
					_, err = svc.Finish(ctx, oidc.Callback{Provider: "corp", State: start.State, Code: "a-code", CookieState: start.State, RemoteAddr: "192.0.2.7"})
				}
			}
			wantCode(t, err, tt.code, tt.text)
			if msg := mesh.ErrorMessage(err); strings.Contains(msg, marker) || !strings.Contains(msg, issuer) {
				t.Errorf("got %q, want the issuer named without the provider's answer", msg)
			}
			if !strings.Contains(logs.String(), marker) || !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("logs: got %q, want the provider's answer at warn", logs.String())
			}
			err = s.View(ctx, func(tx store.Tx) error {
				es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Limit: 100})
				for _, e := range es {
					if strings.Contains(e.Detail, marker) {
						t.Errorf("audit %s: got detail %q, want no provider answer", e.Action, e.Detail)
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// unsignedIDToken is a current ID token of issuer for audience whose
// signature no key verifies.
func unsignedIDToken(issuer, audience string) string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	claims := fmt.Sprintf(`{"iss": %q, "aud": %q, "sub": "ann", "iat": %d, "exp": %d}`, issuer, audience, now, now+300)
	return enc([]byte(`{"alg": "RS256", "kid": "k1"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("not a signature"))
}
