// Package oidctest runs a real OpenID Connect provider inside the test
// process, for meshgate's tests: zitadel's example provider (code flow with
// PKCE, device authorization grant, JWT access tokens, end-session), with
// users whose groups claim the tests change.
package oidctest

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Password is every test user's password at the provider.
const Password = "verysecure"

// Clients registered at every provider.
const (
	// WebClientID is meshgate's confidential client (code flow), with WebClientSecret.
	WebClientID     = "meshgate"
	WebClientSecret = "meshgate-secret"
	// CLIClientID is the CLI's public client: device grant and loopback code flow.
	CLIClientID = "meshgate-cli"
	// OtherClientID is another application's client: its tokens are not for meshgate.
	OtherClientID     = "other-app"
	OtherClientSecret = "other-secret"
)

// Provider is a running provider.
type Provider struct {
	// Issuer is its issuer URL (its address).
	Issuer string
	srv    *httptest.Server
	st     *groupStorage
}

// Start runs a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	st := newStorage()
	return startWith(t, st)
}

// StartTwin runs a second provider at another issuer URL that signs with
// p's keys: its tokens pass p's signature check and fail only the issuer check.
func (p *Provider) StartTwin(t testing.TB) *Provider {
	t.Helper()
	return startWith(t, p.st)
}

// StartOn runs a provider at addr (host:port), for tests of a provider
// that comes up after meshgate.
func StartOn(t testing.TB, addr string) *Provider {
	t.Helper()
	return startAt(t, newStorage(), addr)
}

func startWith(t testing.TB, st *groupStorage) *Provider {
	return startAt(t, st, "127.0.0.1:0")
}

func startAt(t testing.TB, st *groupStorage, addr string) *Provider {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	srv := httptest.NewUnstartedServer(exampleop.SetupServer(issuer, st, nil, false))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &Provider{Issuer: issuer, srv: srv, st: st}
}

// AddUser adds a user (its password is Password) with groups; nil groups
// leave the groups claim out of its tokens. The username is its subject too
// (the example provider's device sign-in takes one for the other).
func (p *Provider) AddUser(username, email string, groups []string) {
	id := username
	p.st.users.add(&storage.User{ID: id, Username: username, Password: Password, FirstName: username, LastName: "Test",
		Email: email, EmailVerified: true, PreferredLanguage: language.English})
	p.SetGroups(id, groups)
}

// SetIDTokenLifetime changes how long the ID tokens issued from now on
// live (default 5 minutes), as providers that issue long-lived ones do.
func (p *Provider) SetIDTokenLifetime(d time.Duration) { p.st.lifetime.Store(int64(d)) }

// SetGroups changes a user's groups (nil: no groups claim) for its next tokens.
func (p *Provider) SetGroups(username string, groups []string) {
	id := username
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	if groups == nil {
		delete(p.st.groups, id)
		return
	}
	p.st.groups[id] = append([]string(nil), groups...)
}

// users is a storage.UserStore tests add to.
type users struct {
	mu sync.Mutex
	m  map[string]*storage.User
}

func (u *users) add(x *storage.User) { u.mu.Lock(); u.m[x.ID] = x; u.mu.Unlock() }

func (u *users) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[id]
}

func (u *users) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.m {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u *users) ExampleClientID() string { return storage.ServiceUserID }

// groupStorage is the example storage with a groups claim in ID tokens and
// JWT access tokens, and clients that assert userinfo claims in ID tokens.
type groupStorage struct {
	*storage.Storage
	users  *users
	mu     sync.Mutex
	groups map[string][]string
	// lifetime is how long its ID tokens live; 0: 5 minutes.
	lifetime atomic.Int64
}

func newStorage() *groupStorage {
	us := &users{m: map[string]*storage.User{}}
	clients := map[string]*storage.Client{
		WebClientID: storage.WebClient(WebClientID, WebClientSecret),
		// A loopback redirect of a native client matches on any port (RFC 8252).
		CLIClientID:   storage.NativeClient(CLIClientID, "http://127.0.0.1/callback"),
		OtherClientID: storage.WebClient(OtherClientID, OtherClientSecret),
	}
	return &groupStorage{Storage: storage.NewStorageWithClients(us, clients), users: us, groups: map[string][]string{}}
}

func (s *groupStorage) groupsOf(id string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	return g, ok
}

// SetUserinfoFromRequest adds the groups claim to ID tokens.
func (s *groupStorage) SetUserinfoFromRequest(ctx context.Context, ui *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	if g, ok := s.groupsOf(req.GetSubject()); ok {
		ui.AppendClaims("groups", g)
	}
	return nil
}

// GetPrivateClaimsFromScopes adds the groups claim to JWT access tokens.
func (s *groupStorage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	c, err := s.Storage.GetPrivateClaimsFromScopes(ctx, userID, clientID, scopes)
	if err != nil {
		return nil, err
	}
	if g, ok := s.groupsOf(userID); ok {
		if c == nil {
			c = map[string]any{}
		}
		c["groups"] = g
	}
	return c, nil
}

// GetClientByClientID returns the client, adjusted for meshgate's tests.
func (s *groupStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return testClient{Client: c, st: s}, nil
}

// testClient puts userinfo claims in ID tokens, issues JWT access tokens,
// and lets the CLI's public client use the device grant too.
type testClient struct {
	op.Client
	st *groupStorage
}

func (c testClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c testClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c testClient) IDTokenLifetime() time.Duration {
	if d := c.st.lifetime.Load(); d > 0 {
		return time.Duration(d)
	}
	return 5 * time.Minute
}
func (c testClient) GrantTypes() []zoidc.GrantType {
	if c.GetID() == CLIClientID {
		return []zoidc.GrantType{zoidc.GrantTypeCode, zoidc.GrantTypeDeviceCode}
	}
	return c.Client.GrantTypes()
}

// redirectGlobs are the redirect URIs of the web clients, on any port.
var redirectGlobs = map[string][]string{
	WebClientID:   {"http://127.0.0.1:*/auth/oidc/*/callback"},
	OtherClientID: {"http://127.0.0.1:*/callback"},
}

// RedirectURIGlobs lets web clients come back to any port of 127.0.0.1.
func (c testClient) RedirectURIGlobs() []string { return redirectGlobs[c.GetID()] }

// PostLogoutRedirectURIGlobs lets meshgate, on any port, be where a browser
// lands after signing out.
func (c testClient) PostLogoutRedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/", "http://127.0.0.1:*/**"}
}
