package postgres_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// stallAfter stalls the connection that first completes a statement
// beginning with prefix, right after it, until resume is closed: the
// replica stops there, its connection open.
type stallAfter struct {
	prefix  string
	once    sync.Once
	stalled chan struct{}
	resume  chan struct{}
}

type stallKey struct{}

func (s *stallAfter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.HasPrefix(d.SQL, s.prefix) {
		return context.WithValue(ctx, stallKey{}, true)
	}
	return ctx
}

func (s *stallAfter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if ctx.Value(stallKey{}) != nil && d.Err == nil {
		s.once.Do(func() {
			close(s.stalled)
			<-s.resume
		})
	}
}

// TestStalledMigration: a replica that stalls while it migrates the store,
// between two migrations or inside one's transaction, holds up another
// replica's start no longer than its idle-in-transaction timeout: the
// other's Open migrates the store and returns within a bound (a deadline
// far beyond the timeout, that fails the test instead of hanging it). The
// stalled replica, once resumed, finds the store migrated, or fails with
// its session ended.
func TestStalledMigration(t *testing.T) {
	tests := []struct {
		name  string
		after string // the replica stalls after the first statement it sends that begins so
		ended bool   // the stalled replica's Open fails, its session ended
	}{
		{"between two migrations", "commit", false},
		{"in a migration's transaction", "INSERT INTO schema_migrations", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			u := storetest.PostgresSchemaURL(t)
			stall := &stallAfter{prefix: tt.after, stalled: make(chan struct{}), resume: make(chan struct{})}
			resume := sync.OnceFunc(func() { close(stall.resume) })
			defer resume()
			done := make(chan error, 1)
			go func() {
				// Long enough for a migration's statements on a loaded machine.
				db, err := postgres.OpenTraced(ctx, u, postgres.Options{IdleInTransactionTimeout: 2 * time.Second}, stall)
				if err == nil {
					db.Close()
				}
				done <- err
			}()
			select {
			case <-stall.stalled:
			case err := <-done:
				t.Fatalf("the stalling replica's Open returned before it stalled: %v", err)
			}

			octx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			other, err := postgres.Open(octx, u, postgres.Options{})
			if err != nil {
				t.Fatalf("another replica's Open while one stalls migrating: %v", err)
			}
			defer other.Close()
			checkMigrated(t, other)

			resume()
			err = await(t, done, "the stalled replica's Open, resumed,")
			if tt.ended && !idleSessionEnded(err) {
				t.Errorf("the stalled replica's Open: got %v, want its session ended for its idle transaction (25P03)", err)
			}
			if !tt.ended && err != nil {
				t.Errorf("the stalled replica's Open: got %v, want nil: the store is migrated", err)
			}
		})
	}
}

// TestConcurrentMigrations: replicas that start together on a fresh store
// take turns migrating it: each opens, and each migration is applied once.
func TestConcurrentMigrations(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u := storetest.PostgresSchemaURL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range cap(errs) {
		wg.Go(func() {
			db, err := postgres.Open(ctx, u, postgres.Options{MaxConns: 2})
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("an Open of replicas starting together: %v", err)
		}
	}
	db, err := postgres.Open(ctx, u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkMigrated(t, db)
}

// checkMigrated checks that db's store recorded each of the migrations.
func checkMigrated(t *testing.T, db *postgres.DB) {
	t.Helper()
	all, err := store.LoadMigrations(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Errorf("got %d migrations recorded, want %d", n, len(all))
	}
}

// await returns what ch gives, or fails the test, naming what, after 30s.
func await(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return within 30s", what)
		return nil
	}
}
