package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestDiagnosticsNeedAMeshAdmin: /metrics and Go's profiles under
// /debug/pprof/ show a live server's internals (a heap profile holds what
// the process keeps in memory): anonymous callers get 401 and an account's
// own admin 403, while a mesh admin reads them; /healthz and /readyz need
// nothing.
func TestDiagnosticsNeedAMeshAdmin(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	u, err := admin.CreateUser(ctx, "111122223333", client.UserInput{Username: "sales-admin", Roles: []string{mesh.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := admin.IssueToken(ctx, u.User.ID, "ops", 0)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1",
		"/debug/pprof/profile?seconds=1", "/debug/pprof/trace?seconds=1"} {
		if got, body := get(path, ""); got != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: got %d, want 401\n%.200s", path, got, body)
		}
		if got, body := get(path, tok.Secret); got != http.StatusForbidden {
			t.Errorf("an account's admin GET %s: got %d, want 403\n%.200s", path, got, body)
		}
	}
	for path, want := range map[string]string{
		"/metrics":                       "meshgate_http_requests_total",
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
	} {
		if got, body := get(path, srv.AdminToken); got != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("the mesh admin GET %s: got %d, want 200 with %q\n%.200s", path, got, want, body)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if got, body := get(path, ""); got != http.StatusOK {
			t.Errorf("anonymous GET %s: got %d, want 200\n%.200s", path, got, body)
		}
	}
}
