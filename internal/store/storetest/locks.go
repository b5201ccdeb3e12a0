package storetest

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/postgres"
)

// Helpers for tests of what PostgreSQL transactions wait for.

// OpenPostgresNamed is OpenPostgres whose connections carry a name of
// their own (application_name), returned for WaitForLock.
func OpenPostgresNamed(t testing.TB, clock mesh.Clock) (*postgres.DB, string) {
	t.Helper()
	u, err := url.Parse(PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	name := "mg-" + NewSchemaName(t) // within application_name's 63 bytes
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(context.Background(), u.String(), postgres.Options{Clock: clock})
	if err != nil {
		t.Fatalf("open postgres (%s): %v", PostgresURLEnv, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, name
}

// WaitForLock returns once one of the connections named name waits for a
// lock, or done is closed (what would have waited has finished).
func WaitForLock(t testing.TB, db *postgres.DB, name string, done <-chan struct{}) {
	t.Helper()
	for {
		var waiting int
		if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, name).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case <-done:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Locked reports whether stmt, run in a transaction of its own on db's
// pool and rolled back, has to wait for a lock another transaction holds:
// it gives up at once (lock_timeout, 55P03) instead of waiting.
func Locked(t testing.TB, db *postgres.DB, stmt string, args ...any) bool {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '50ms'`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, stmt, args...)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" {
		return true
	}
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return false
}
