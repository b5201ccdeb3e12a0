package server

import (
	"context"
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestInstrumentedStoreCountsOnlyFailures(t *testing.T) {
	s := instrumentStore(storetest.OpenSQLite(t, nil), prometheus.NewRegistry())
	ctx := context.Background()
	results := []error{
		nil,
		mesh.NotFound("database", "x"),      // a domain answer, not a failure
		context.Canceled,                    // the caller went away
		errors.New("disk I/O error"),        // a failure
		mesh.Errorf(mesh.EINTERNAL, "boom"), // a failure
	}
	for _, want := range results {
		if got := s.Update(ctx, func(store.Tx) error { return want }); !errors.Is(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := testutil.ToFloat64(s.errors.WithLabelValues("update")); got != 2 {
		t.Errorf("got %v store errors, want 2", got)
	}
}

// TestInstrumentedStoreKeepsCapabilities checks that wrapping the PostgreSQL
// store for metrics leaves its LISTEN/NOTIFY capability visible to the
// access service, which otherwise falls back to polling.
func TestInstrumentedStoreKeepsCapabilities(t *testing.T) {
	storetest.PostgresURL(t)
	s := instrumentStore(storetest.OpenPostgres(t, nil), prometheus.NewRegistry())
	if _, ok := store.As[store.AccessListener](s); !ok {
		t.Error("the instrumented PostgreSQL store hides AccessListener")
	}
	if _, ok := store.As[store.AuthListener](s); !ok {
		t.Error("the instrumented PostgreSQL store hides AuthListener")
	}
	if _, ok := store.As[store.AccessListener](instrumentStore(storetest.OpenSQLite(t, nil), prometheus.NewRegistry())); ok {
		t.Error("the instrumented SQLite store claims AccessListener")
	}
}
