package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
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
