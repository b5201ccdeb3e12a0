package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestRolesAreRefused checks what a member and an account's admin must not
// see or do: the navigation leaves the pages out, the pages answer 403, and
// forms posted anyway are refused.
func TestRolesAreRefused(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	b := newBrowser(t, srv)
	b.signIn("analytics-member", demoPassword(t, srv, "analytics-member"), "member-password-1")

	nav := b.text("header nav")
	for _, hidden := range []string{"Accounts", "Users", "Invitations", "Audit log", "State machines", "Executions"} {
		if strings.Contains(nav, hidden) {
			t.Errorf("member's navigation: got %q, want no %s", nav, hidden)
		}
	}
	memberRefused := []string{"/admin/accounts", "/admin/accounts/111122223333", "/admin/users", "/admin/state-machines",
		"/admin/state-machines/new", "/admin/executions", "/admin/audit", "/invitations"}
	for _, p := range memberRefused {
		if got := b.open(p); got != http.StatusForbidden {
			t.Errorf("member opens %s: got %d, want 403", p, got)
		}
	}
	if got := b.text("main .alert"); !strings.Contains(got, "only") {
		t.Errorf("refusal page: got %q, want the reason", got)
	}

	// Forms posted by hand with the member's own session and form token.
	b.open("/tokens")
	csrf := b.value(`form[action="/tokens"] input[name=csrf]`)
	cookie := b.sessionCookie()
	post := func(path string, form url.Values, header map[string]string) int {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sameOrigin := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"onboard an account", "/admin/accounts", url.Values{"csrf": {csrf}, "id": {"333344445555"}, "name": {"X"}}, sameOrigin, http.StatusForbidden},
		{"create a user", "/admin/users", url.Values{"csrf": {csrf}, "username": {"mallory"}, "roles": {"admin"}}, sameOrigin, http.StatusForbidden},
		{"accept an invitation", "/invitations/1/accept", url.Values{"csrf": {csrf}}, sameOrigin, http.StatusForbidden},
		{"save a state machine", "/admin/state-machines", url.Values{"csrf": {csrf}, "name": {"x"}, "definition": {"{}"}}, sameOrigin, http.StatusForbidden},
		{"token without the form token", "/tokens", url.Values{"name": {"t1"}}, sameOrigin, http.StatusForbidden},
		{"token with another form token", "/tokens", url.Values{"csrf": {"x" + csrf}, "name": {"t1"}}, sameOrigin, http.StatusForbidden},
		{"token from another site", "/tokens", url.Values{"csrf": {csrf}, "name": {"t1"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"token from another origin", "/tokens", url.Values{"csrf": {csrf}, "name": {"t1"}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"token from this site", "/tokens", url.Values{"csrf": {csrf}, "name": {"t1"}}, sameOrigin, http.StatusCreated},
	}
	for _, tt := range tests {
		if got := post(tt.path, tt.form, tt.header); got != tt.want {
			t.Errorf("member: %s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	b.open("/tokens")
	if got := b.count("tbody tr"); got != 1 {
		t.Errorf("member's tokens after the posts: got %d, want only the one from this site", got)
	}

	// An account's admin manages its own account's users, not the mesh.
	b.signOut()
	b.signIn("analytics-admin", demoPassword(t, srv, "analytics-admin"), "admin-password-1")
	for _, p := range []string{"/admin/accounts", "/admin/audit", "/admin/state-machines", "/admin/executions"} {
		if got := b.open(p); got != http.StatusForbidden {
			t.Errorf("account admin opens %s: got %d, want 403", p, got)
		}
	}
	if got := b.open("/admin/users?account=111122223333"); got != http.StatusOK {
		t.Fatalf("account admin opens users: got %d", got)
	}
	if got := b.text("#users"); strings.Contains(got, "sales-admin") || !strings.Contains(got, "analytics-member") {
		t.Errorf("account admin's users: got %q, want its own account's only", got)
	}
}
