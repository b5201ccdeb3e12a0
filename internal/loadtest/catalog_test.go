package loadtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
)

type adminAuth struct{}

func (adminAuth) Authenticate(context.Context, *http.Request) (*mesh.Actor, error) {
	return &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}, nil
}

func TestCatalogLoad(t *testing.T) {
	st := storetest.OpenSQLite(t, nil)
	rt := web.NewRouter(adminAuth{}, nil)
	api.Register(rt, &api.Deps{Store: st, Pages: web.NewPageTokens([]byte("k")), Catalog: catalog.NewService(st, nil), CentralAccountID: "central",
		Accounts: account.NewService(st, nil, account.Central{ID: "central", Name: "Central"})})
	srv := httptest.NewServer(web.Middleware(rt, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	cl := client.New(srv.URL, "").WithHTTPClient(NewHTTPClient(4))
	spec := CatalogSpec{Tables: 250, Columns: 20, TablesPerDatabase: 120}
	res, err := Catalog(context.Background(), CatalogOptions{Client: cl, Spec: spec, Concurrency: 4, Batch: 50, Requests: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Databases != 3 || res.Tables != 250 {
		t.Errorf("got %d databases, %d tables; want 3, 250", res.Databases, res.Tables)
	}
	for _, l := range res.Latencies {
		if l.Errors != 0 || l.Requests == 0 {
			t.Errorf("%s at %d: got %d errors of %d requests, want none", l.Name, l.Concurrency, l.Errors, l.Requests)
		}
	}
	total := 0
	for i := range 3 {
		p, err := cl.ListTables(context.Background(), spec.WithDefaults().DatabaseName(i), client.CatalogListOptions{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		total += len(p.Tables)
		for _, tb := range p.Tables {
			if len(tb.Columns) != 20 {
				t.Fatalf("table %s: got %d columns, want 20", tb.Name, len(tb.Columns))
			}
		}
	}
	if total != 250 {
		t.Errorf("listed %d tables, want 250", total)
	}
}

func TestSummarize(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Millisecond
	}
	l := summarize("x", 1, d, 0, time.Second)
	if l.P50 != 51*time.Millisecond || l.P90 != 91*time.Millisecond || l.P99 != 100*time.Millisecond || l.PerSecond != 100 {
		t.Errorf("got p50 %v p90 %v p99 %v rate %v; want 51ms 91ms 100ms 100/s", l.P50, l.P90, l.P99, l.PerSecond)
	}
}

func TestSpecIsDeterministic(t *testing.T) {
	s := CatalogSpec{Tables: 10}.WithDefaults()
	a, b := s.Table(7), s.Table(7)
	if a.Name != b.Name || a.Columns[5].Name != b.Columns[5].Name || len(a.Columns) != 20 {
		t.Errorf("table 7 differs between calls or has %d columns", len(a.Columns))
	}
	if a.Name != s.TableName(7) || a.DatabaseName != s.TableDatabase(7) {
		t.Errorf("got %s.%s, want %s.%s", a.DatabaseName, a.Name, s.TableDatabase(7), s.TableName(7))
	}
}

func TestProcessCPU(t *testing.T) {
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	after, err := ProcessCPU(os.Getpid())
	if err != nil || after < before || x == 0 {
		t.Errorf("got %v then %v (%v), want a growing CPU time", before, after, err)
	}
	if _, err := ProcessCPU(0); err == nil {
		t.Error("pid 0: got no error, want one")
	}
}
