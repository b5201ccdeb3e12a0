package loadtest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/loadtest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
)

type adminAuth struct{}

func (adminAuth) Authenticate(ctx context.Context, r *http.Request) (*mesh.Actor, error) {
	return &mesh.Actor{UserID: 1, Username: "admin", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}, nil
}

// BenchmarkWorkflowLoad runs the workflow load against an in-process API on
// SQLite with synchronous=FULL and reports transitions per second. Run with
// -benchtime=1x; the load size is fixed.
func BenchmarkWorkflowLoad(b *testing.B) {
	conc := 256
	if v, err := strconv.Atoi(os.Getenv("MESHGATE_LOAD_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "m.db"), sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg := workflow.NewRegistry()
	task.Register(reg, task.HTTPOptions{})
	e := workflow.New(st, workflow.Options{Registry: reg})
	rt := web.NewRouter(adminAuth{}, nil)
	api.Register(rt, &api.Deps{Store: st, Clock: mesh.SystemClock{}, Pages: web.NewPageTokens([]byte("k")), Workflow: e})
	srv := httptest.NewServer(rt)
	defer srv.Close()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go e.Dispatcher().Run(lctx)
	c := client.New(srv.URL, "t").WithHTTPClient(loadtest.NewHTTPClient(conc))
	for b.Loop() {
		res, err := loadtest.Workflow(ctx, loadtest.WorkflowOptions{Client: c, Executions: 5000, Concurrency: conc})
		if err != nil {
			b.Fatal(err)
		}
		if res.Succeeded != res.Executions {
			b.Fatalf("succeeded: got %v, want %v", res.Succeeded, res.Executions)
		}
		b.ReportMetric(res.TransitionsPerSecond, "transitions/s")
		b.ReportMetric(res.ExecutionsPerSecond, "executions/s")
		st := e.Stats()
		b.ReportMetric(float64(st.Starts)/float64(max(st.StartCommits, 1)), "starts/commit")
	}
}

// BenchmarkWorkflowLoadServer is BenchmarkWorkflowLoad against the whole
// server (authentication, middleware, metrics) on SQLite with
// synchronous=FULL, with its background loops running.
func BenchmarkWorkflowLoadServer(b *testing.B) {
	conc := 256
	srv, c := servertest.New(b, servertest.Options{Config: server.Config{Synchronous: "FULL"}, Log: io.Discard})
	c = c.WithHTTPClient(loadtest.NewHTTPClient(conc))
	for b.Loop() {
		res, err := loadtest.Workflow(context.Background(), loadtest.WorkflowOptions{Client: c, Executions: 5000, Concurrency: conc})
		if err != nil {
			b.Fatal(err)
		}
		if res.Succeeded != res.Executions {
			b.Fatalf("succeeded: got %v, want %v", res.Succeeded, res.Executions)
		}
		b.ReportMetric(res.TransitionsPerSecond, "transitions/s")
		b.ReportMetric(res.ExecutionsPerSecond, "executions/s")
	}
	_ = srv
}
