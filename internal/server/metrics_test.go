package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestMetrics checks that /metrics needs a mesh admin and reports requests by
// route pattern (not raw path), the store error counter and, on SQLite, the
// writer's counters.
func TestMetrics(t *testing.T) {
	srv, admin := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	for range 3 {
		if err := admin.Health(ctx); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous /metrics: got %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`meshgate_http_requests_total{route="GET /healthz",status="200"} 3`,
		`meshgate_http_request_duration_seconds_count{route="GET /healthz"} 3`,
		`meshgate_store_errors_total{op="update"} 0`,
		"\nmeshgate_sqlite_write_transactions_total ",
		"\nmeshgate_sqlite_writer_busy_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
