package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, u string, form url.Values, header map[string]string, cookie *http.Cookie) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestPageAndStaticHeaders checks the page headers (a strict CSP, no
// caching) and that static files are served under hashed names for a year.
func TestPageAndStaticHeaders(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	resp, body := do(t, "GET", srv.URL+"/login", nil, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: got %d", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Content-Type":            "text/html",
	} {
		if got := resp.Header.Get(k); !strings.HasPrefix(got, want) {
			t.Errorf("%s: got %q, want %q...", k, got, want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Errorf("sign-in page: want no inline script or style")
	}
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(body)
	if css == nil {
		t.Fatalf("sign-in page: no hashed stylesheet link in %q", body)
	}
	resp, _ = do(t, "GET", srv.URL+css[1], nil, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("GET %s: got %d %q %q, want 200, immutable, text/css", css[1], resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if resp, _ := do(t, "GET", srv.URL+"/static/app.css", nil, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET the unhashed name: got %d, want 404", resp.StatusCode)
	}
}

// TestSignedOutGoesToSignIn checks that a page without a session, or with
// an unknown one, leads to the sign-in page (and clears the bad cookie)
// while the API keeps answering JSON.
func TestSignedOutGoesToSignIn(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	for _, c := range []*http.Cookie{nil, {Name: "meshgate_session", Value: "not-a-session"}} {
		resp, _ := do(t, "GET", srv.URL+"/admin/users?account=central", nil, nil, c)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fadmin%2Fusers%3Faccount%3Dcentral" {
			t.Errorf("cookie %v: got %d to %q, want 303 to the sign-in page", c, resp.StatusCode, resp.Header.Get("Location"))
		}
		if c != nil && !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("bad cookie: got Set-Cookie %q, want it cleared", resp.Header.Get("Set-Cookie"))
		}
	}
	resp, body := do(t, "GET", srv.URL+"/no/such/page", nil, nil, nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "there is no page at /no/such/page") {
		t.Errorf("unknown page: got %d %q, want the pages' 404", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", srv.URL+"/api/v1/nope", nil, nil, nil)
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown API route: got %d %q, want a JSON 404", resp.StatusCode, body)
	}
	resp, _ = do(t, "GET", srv.URL+"/api/v1/me", nil, nil, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("API without credentials: got %d %q, want 401 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestFormsAreProtected signs the bootstrap admin in through the forms and
// checks that a signed-in form needs both this origin and the session's
// form token, and that the sign-in's "next" stays on this server.
func TestFormsAreProtected(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	same := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	password := srv.BootstrapPassword(t)

	resp, _ := do(t, "POST", srv.URL+"/login", url.Values{"username": {"admin"}, "password": {password}},
		map[string]string{"Sec-Fetch-Site": "cross-site"}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: got %d, want 403", resp.StatusCode)
	}
	resp, _ = do(t, "POST", srv.URL+"/login", url.Values{"username": {"admin"}, "password": {password}, "next": {"//evil.example/"}}, same, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/password" {
		t.Fatalf("sign-in: got %d to %q, want 303 to /password", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "meshgate_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly {
		t.Fatalf("sign-in: got cookie %v, want an HttpOnly session cookie", cookie)
	}
	resp, _ = do(t, "GET", srv.URL+"/catalog", nil, nil, cookie)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/password" {
		t.Errorf("catalog with a temporary password: got %d to %q, want /password", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := do(t, "GET", srv.URL+"/password", nil, nil, cookie)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("password page: no form token in %q", page)
	}
	csrf := m[1]
	resp, _ = do(t, "POST", srv.URL+"/password", url.Values{"csrf": {csrf}, "current_password": {password},
		"new_password": {"admin-password-1"}, "confirm_password": {"admin-password-1"}}, same, cookie)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: got %d, want 303", resp.StatusCode)
	}

	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no form token", url.Values{"name": {"a"}}, same, http.StatusForbidden},
		{"a wrong form token", url.Values{"name": {"a"}, "csrf": {csrf + "x"}}, same, http.StatusForbidden},
		{"another site", url.Values{"name": {"a"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"another origin", url.Values{"name": {"a"}, "csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"a bad name, kept", url.Values{"name": {"bad\x01name"}, "csrf": {csrf}}, same, http.StatusBadRequest},
		{"this site", url.Values{"name": {"a"}, "csrf": {csrf}}, same, http.StatusCreated},
	}
	for _, tt := range tests {
		resp, body := do(t, "POST", srv.URL+"/tokens", tt.form, tt.header, cookie)
		if resp.StatusCode != tt.want {
			t.Errorf("token from %s: got %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusBadRequest && !strings.Contains(body, `id="name-error"`) {
			t.Errorf("token from %s: want the name field named in %q", tt.name, body)
		}
	}
	resp, _ = do(t, "GET", srv.URL+"/admin/accounts", nil, nil, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("mesh admin opens accounts: got %d, want 200", resp.StatusCode)
	}
}

// TestSignInNextStaysOnThisServer: a "next" whose dot segments would leave
// a "/\" at the start once the redirect cleans its path (which a browser
// reads as "//", another host) is dropped, at sign-in and after the
// password change, as "//evil.example/" is.
func TestSignInNextStaysOnThisServer(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{})
	same := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	password := srv.BootstrapPassword(t)
	nexts := []string{"/a/../\\evil.example/", "/./\\evil.example/", "/catalog#/../../\\evil.example/"}
	var cookie *http.Cookie
	for _, next := range nexts {
		resp, _ := do(t, "POST", srv.URL+"/login", url.Values{"username": {"admin"}, "password": {password}, "next": {next}}, same, nil)
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/password" {
			t.Errorf("sign-in with next %q: got %d to %q, want 303 to /password", next, resp.StatusCode, got)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "meshgate_session" {
				cookie = c
			}
		}
	}
	if cookie == nil {
		t.Fatal("sign-in: no session cookie")
	}
	_, page := do(t, "GET", srv.URL+"/password?next="+url.QueryEscape(nexts[0]), nil, nil, cookie)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("password page: no form token in %q", page)
	}
	if strings.Contains(page, "evil.example") {
		t.Errorf("password page: want no trace of the dropped next in %q", page)
	}
	resp, _ := do(t, "POST", srv.URL+"/password", url.Values{"csrf": {m[1]}, "current_password": {password},
		"new_password": {"admin-password-1"}, "confirm_password": {"admin-password-1"}, "next": {nexts[1]}}, same, cookie)
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/catalog?notice=password" {
		t.Errorf("password change with next %q: got %d to %q, want 303 to /catalog?notice=password", nexts[1], resp.StatusCode, got)
	}
}

// TestFailedPageSignInAudited: a sign-in refused on the sign-in page is
// audited as one refused through the API is, naming the username tried,
// while the page shows the form again saying why.
func TestFailedPageSignInAudited(t *testing.T) {
	srv, admin := servertest.New(t, servertest.Options{})
	same := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	resp, body := do(t, "POST", srv.URL+"/login", url.Values{"username": {"admin"}, "password": {"not-the-password"}}, same, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "invalid username or password") || !strings.Contains(body, `name="username"`) {
		t.Fatalf("wrong password: got %d\n%s\nwant 401 and the form saying why", resp.StatusCode, body)
	}
	es, err := admin.ListAudit(context.Background(), client.AuditFilter{Action: "POST /login", Result: mesh.EUNAUTHORIZED}, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es.Entries) != 1 || es.Entries[0].Detail != `username "admin": invalid username or password` {
		t.Errorf("got %+v, want one refused sign-in naming admin", es.Entries)
	}
}
