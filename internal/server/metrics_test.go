package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
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
	body := scrape(t, srv)
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

// TestMetricsOfTheSharingWorkflow checks, on both stores, that /metrics
// lists what the data-sharing workflow is for: executions ended by status
// (one that failed counted), requests by status, and notifications by
// protocol, sent, failed and dead-lettered, with the outbox read from the store.
func TestMetricsOfTheSharingWorkflow(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Store: kind})
			ctx := context.Background()
			if _, err := admin.CreateStateMachine(ctx, "fails", "", json.RawMessage(`{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Test.Fail"}}}`)); err != nil {
				t.Fatal(err)
			}
			x, err := admin.StartExecution(ctx, client.StartExecutionInput{StateMachine: "fails"})
			if err != nil {
				t.Fatal(err)
			}
			if x.Status != "FAILED" {
				t.Fatalf("execution: got %s, want FAILED in its start's commit", x.Status)
			}
			body := scrape(t, srv)
			for _, want := range []string{
				`meshgate_workflow_executions_ended_total{status="FAILED"} 1`,
				`meshgate_workflow_executions_ended_total{status="SUCCEEDED"} 0`,
				`meshgate_workflow_executions_ended_total{status="TIMED_OUT"} 0`,
				`meshgate_workflow_executions_ended_total{status="ABORTED"} 0`,
				`meshgate_sharing_requests_total{status="SUBMITTED"} 0`,
				`meshgate_sharing_requests_total{status="SHARED"} 0`,
				`meshgate_sharing_requests_total{status="DENIED"} 0`,
				`meshgate_sharing_requests_total{status="REVOKED"} 0`,
				`meshgate_notify_deliveries_sent_total{protocol="email"} 0`,
				`meshgate_notify_delivery_attempts_failed_total{protocol="https"} 0`,
				`meshgate_notify_deliveries_dead_lettered_total{protocol="http"} 0`,
				"\nmeshgate_notify_deliveries_waiting 0\n",
				"\nmeshgate_notify_deliveries_dead_letters 0\n",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %q", want)
				}
			}
		})
	}
}

// scrape returns /metrics as the bootstrap admin reads it.
func scrape(t *testing.T, srv *servertest.Server) string {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: got %d, want 200", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
