package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// A failed sign-in's audit entry names the username tried, quoted and cut
// to a bounded length.
func TestFailedSignInAuditsUsername(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	long := "x\n" + strings.Repeat("y", 500)
	for _, u := range []string{"sales-approver", long} {
		err := srv.Client().Do(ctx, "POST", "/api/v1/login", nil, map[string]string{"username": u, "password": "wrong"}, nil)
		wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
	}
	es, err := admin.ListAudit(ctx, client.AuditFilter{Action: "POST /api/v1/login", Result: mesh.EUNAUTHORIZED}, client.ListOptions{})
	if err != nil || len(es.Entries) != 2 {
		t.Fatalf("got %+v (%v), want 2 failed sign-ins", es, err)
	}
	// Newest first.
	if got, want := es.Entries[1].Detail, `username "sales-approver": invalid username or password`; got != want {
		t.Errorf("got detail %q, want %q", got, want)
	}
	got := es.Entries[0].Detail
	if !strings.HasPrefix(got, `username "x\ny`) || strings.Contains(got, "\n") || len(got) > 150 || !strings.HasSuffix(got, `"...: invalid username or password`) {
		t.Errorf("got detail %q, want the username quoted, escaped and cut", got)
	}
}

// signIn signs the bootstrap admin in over plain HTTP, changes its temporary
// password, and returns the session cookie of a fresh sign-in.
func signIn(t *testing.T, srv *servertest.Server) *http.Cookie {
	t.Helper()
	pw := srv.BootstrapPassword(t)
	login := func(password string) *http.Cookie {
		resp := send(t, srv, "POST", "/api/v1/login", nil, "application/json", `{"username": "admin", "password": "`+password+`"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login: got %d, want 200", resp.StatusCode)
		}
		for _, c := range resp.Cookies() {
			if c.Name == auth.CookieName {
				return c
			}
		}
		t.Fatal("login: no session cookie")
		return nil
	}
	c := login(pw)
	resp := send(t, srv, "POST", "/api/v1/me/password", c, "application/json", `{"current_password": "`+pw+`", "new_password": "a-long-new-password"}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("change password: got %d, want 204", resp.StatusCode)
	}
	return login("a-long-new-password")
}

// send makes one request with an optional session cookie and Content-Type,
// and extra headers as name, value pairs.
func send(t *testing.T, srv *servertest.Server, method, path string, c *http.Cookie, contentType, body string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		req.AddCookie(c)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Another site's page cannot make changes with the session cookie; the
// server's own pages, trusted origins and API tokens can.
func TestCrossSiteWritesRefused(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{Config: server.Config{TrustedOrigins: []string{"https://portal.example.com"}}})
	cookie := signIn(t, srv)
	const body = `{"name": "forged"}`
	self := srv.URL
	tests := []struct {
		name        string
		cookie      bool
		bearer      bool
		contentType string
		headers     []string
		want        int
	}{
		{"cross-site Origin", true, false, "application/json", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"Sec-Fetch-Site cross-site", true, false, "application/json", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"Sec-Fetch-Site same-site", true, false, "application/json", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://sub.example"}, http.StatusForbidden},
		{"the issue's request", true, false, "text/plain", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"text/plain from the same origin", true, false, "text/plain", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}, http.StatusUnsupportedMediaType},
		{"form from the same origin", true, false, "application/x-www-form-urlencoded", nil, http.StatusUnsupportedMediaType},
		{"bearer with text/plain", false, true, "text/plain", nil, http.StatusUnsupportedMediaType},
		{"same origin", true, false, "application/json", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}, http.StatusCreated},
		{"same origin, charset", true, false, "application/json; charset=utf-8", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusCreated},
		{"no browser headers", true, false, "application/json", nil, http.StatusCreated},
		{"trusted origin", true, false, "application/json", []string{"Origin", "https://portal.example.com", "Sec-Fetch-Site", "cross-site"}, http.StatusCreated},
		{"bearer from another site", false, true, "application/json", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, http.StatusCreated},
		// The cookie is not what authenticates a bearer call, so it is not refused either.
		{"bearer and cookie from another site", true, true, "application/json", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *http.Cookie
			if tt.cookie {
				c = cookie
			}
			h := tt.headers
			if tt.bearer {
				h = append([]string{"Authorization", "Bearer " + srv.AdminToken}, h...)
			}
			resp := send(t, srv, "POST", "/api/v1/me/tokens", c, tt.contentType, body, h...)
			if resp.StatusCode != tt.want {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// Sign-out and sign-in are changes too.
	for _, path := range []string{"/api/v1/logout", "/api/v1/login"} {
		resp := send(t, srv, "POST", path, cookie, "application/json", `{"username": "admin", "password": "a-long-new-password"}`, "Sec-Fetch-Site", "cross-site")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %s: got %d, want 403", path, resp.StatusCode)
		}
	}
	// Reads are not refused: another site cannot see their answers.
	if resp := send(t, srv, "GET", "/api/v1/me", cookie, "", "", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusOK {
		t.Errorf("cross-site GET: got %d, want 200", resp.StatusCode)
	}
	// Only the forged creations were refused: the allowed ones made tokens.
	toks, err := srv.Client().WithToken(srv.AdminToken).ListTokens(context.Background())
	if err != nil || len(toks) != 1+6 {
		t.Errorf("got %d tokens (%v), want the bootstrap token and 6 created", len(toks), err)
	}
}

// An empty Authorization header is no bearer token: the session cookie
// authenticates the call, so another site's change is refused as without it.
func TestEmptyAuthorizationIsNoBearer(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	cookie := signIn(t, srv)
	resp := send(t, srv, "POST", "/api/v1/me/tokens", cookie, "application/json", `{"name": "forged"}`,
		"Authorization", "", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cookie and an empty Authorization from another site: got %d, want 403", resp.StatusCode)
	}
	toks, err := srv.Client().WithToken(srv.AdminToken).ListTokens(context.Background())
	if err != nil || len(toks) != 1 {
		t.Errorf("got %d tokens (%v), want the bootstrap token alone", len(toks), err)
	}
}

// quickLimits allow three tries per user and address an hour, without the
// delay after a failure.
var quickLimits = auth.Options{LoginPerUserAddr: auth.Rate{Burst: 3, Every: time.Hour},
	Sleep: func(context.Context, time.Duration) error { return nil }}

// Behind a trusted proxy, each client has its own sign-in budget: an attack
// through the proxy does not lock the rightful user out. X-Forwarded-For
// from anyone else is ignored.
func TestSignInBehindTrustedProxy(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		proxies []string
		want    int    // the rightful user's answer
		addr    string // the attacker's address in the audit log
	}{
		{"trusted proxy", []string{"127.0.0.0/8"}, http.StatusOK, "203.0.113.5"},
		{"untrusted peer", nil, http.StatusTooManyRequests, "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Config: server.Config{TrustedProxies: tt.proxies, Auth: quickLimits}})
			pw := srv.BootstrapPassword(t)
			body := func(p string) string { return `{"username": "admin", "password": "` + p + `"}` }
			for range 3 {
				// The attacker's proxy-appended address, after whatever it wrote itself.
				resp := send(t, srv, "POST", "/api/v1/login", nil, "application/json", body("wrong"), "X-Forwarded-For", "198.51.100.7, 203.0.113.5")
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("attack: got %d, want 401", resp.StatusCode)
				}
			}
			resp := send(t, srv, "POST", "/api/v1/login", nil, "application/json", body("wrong"), "X-Forwarded-For", "203.0.113.5")
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("attacker again: got %d, want 429", resp.StatusCode)
			}
			resp = send(t, srv, "POST", "/api/v1/login", nil, "application/json", body(pw), "X-Forwarded-For", "198.51.100.7")
			if resp.StatusCode != tt.want {
				t.Errorf("rightful user: got %d, want %d", resp.StatusCode, tt.want)
			}
			es, err := admin.ListAudit(ctx, client.AuditFilter{Action: "POST /api/v1/login", Result: mesh.ERATELIMIT}, client.ListOptions{})
			if err != nil || len(es.Entries) == 0 || es.Entries[0].RemoteAddr != tt.addr {
				t.Errorf("got %+v (%v), want the attacker's latest sign-in failure from %s", es, err, tt.addr)
			}
		})
	}
}

// DELETE /me/tokens/{t} reaches the caller's own tokens only, and
// DELETE /users/{u}/tokens/{t} only u's, whoever asks.
func TestRevokeTokenRoutes(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	sam, err := admin.CreateUser(ctx, "central", client.UserInput{Username: "sam", Roles: []string{mesh.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	kim, err := admin.CreateUser(ctx, "central", client.UserInput{Username: "kim", Roles: []string{mesh.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := admin.IssueToken(ctx, sam.User.ID, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, admin.RevokeToken(ctx, tok.Token.ID), http.StatusNotFound, mesh.ENOTFOUND, "")
	wantAPIError(t, admin.RevokeUserToken(ctx, kim.User.ID, tok.Token.ID), http.StatusNotFound, mesh.ENOTFOUND, "")
	if _, err := srv.Client().WithToken(tok.Secret).Me(ctx); err != nil {
		t.Fatalf("sam's token after refused revocations: got %v, want it working", err)
	}
	if err := admin.RevokeUserToken(ctx, sam.User.ID, tok.Token.ID); err != nil {
		t.Fatalf("revoke through sam's route: %v", err)
	}
	_, err = srv.Client().WithToken(tok.Secret).Me(ctx)
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
}

// Behind a trusted proxy, the caller's address the services see is the
// client's: it is in the audit entries they write, and password changes are
// limited per user and client, so an attacker with a stolen credential does
// not lock out the rightful user.
func TestActorAddrBehindTrustedProxy(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		proxies []string
		addr    string // the caller's address in the audit log
		want    int    // the rightful user's answer to a wrong current password
	}{
		{"trusted proxy", []string{"127.0.0.0/8"}, "203.0.113.5", http.StatusUnauthorized},
		{"untrusted peer", nil, "127.0.0.1", http.StatusTooManyRequests},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Config: server.Config{TrustedProxies: tt.proxies, Auth: quickLimits}})
			bearer := "Bearer " + srv.AdminToken
			resp := send(t, srv, "POST", "/api/v1/me/tokens", nil, "application/json", `{"name": "ci"}`,
				"Authorization", bearer, "X-Forwarded-For", "198.51.100.7, 203.0.113.5")
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create token: got %d, want 201", resp.StatusCode)
			}
			es, err := admin.ListAudit(ctx, client.AuditFilter{Action: "token.create"}, client.ListOptions{})
			if err != nil || len(es.Entries) == 0 {
				t.Fatalf("got %+v (%v), want the token's creation", es, err)
			}
			if got := es.Entries[0]; got.RemoteAddr != tt.addr {
				t.Errorf("got the token's creation (%s) from %q, want %s", got.Detail, got.RemoteAddr, tt.addr)
			}
			body := `{"current_password": "wrong", "new_password": "a-long-new-password"}`
			for range 3 {
				resp := send(t, srv, "POST", "/api/v1/me/password", nil, "application/json", body,
					"Authorization", bearer, "X-Forwarded-For", "203.0.113.5")
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("attack: got %d, want 401", resp.StatusCode)
				}
			}
			resp = send(t, srv, "POST", "/api/v1/me/password", nil, "application/json", body,
				"Authorization", bearer, "X-Forwarded-For", "203.0.113.5")
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("attacker again: got %d, want 429", resp.StatusCode)
			}
			resp = send(t, srv, "POST", "/api/v1/me/password", nil, "application/json", body,
				"Authorization", bearer, "X-Forwarded-For", "198.51.100.7")
			if resp.StatusCode != tt.want {
				t.Errorf("rightful user: got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
