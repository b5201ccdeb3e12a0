// Package storetest is the suite every store implementation passes, and the
// helpers other packages' tests use to open a fresh store: SQLite always,
// PostgreSQL whenever MESHGATE_TEST_POSTGRES names a server.
//
// Each area adds its tests in a file of its own with register, so the suite
// grows without a central list.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// Opener opens a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) store.Store

var (
	mu    sync.Mutex
	areas = map[string]func(*testing.T, Opener){}
)

// register adds an area's tests to the suite.
func register(name string, fn func(*testing.T, Opener)) {
	mu.Lock()
	defer mu.Unlock()
	areas[name] = fn
}

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	names := make([]string, 0, len(areas))
	for n := range areas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { areas[n](t, open) })
	}
}

// PostgresURLEnv names the environment variable that points the tests at a PostgreSQL server.
const PostgresURLEnv = "MESHGATE_TEST_POSTGRES"

// Kinds lists the stores available to this test run: "sqlite", and
// "postgres" when MESHGATE_TEST_POSTGRES is set or the run requires it (then
// a missing URL fails the test that opens it).
func Kinds() []string {
	if os.Getenv(PostgresURLEnv) != "" || Required("postgres") {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn once per available store kind, each in a subtest named after it,
// with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) { fn(t, Open(t, kind, nil)) })
	}
}

// Open returns a fresh store of the given kind, closed when the test ends.
// clock may be nil for the system clock.
func Open(t testing.TB, kind string, clock mesh.Clock) store.Store {
	t.Helper()
	switch kind {
	case "sqlite":
		return OpenSQLite(t, clock)
	case "postgres":
		return OpenPostgres(t, clock)
	}
	t.Fatalf("unknown store kind %q", kind)
	return nil
}

// OpenSQLite returns a fresh SQLite store in a temporary directory.
func OpenSQLite(t testing.TB, clock mesh.Clock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meshgate.db"),
		sqlite.Options{Clock: clock, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres returns a fresh PostgreSQL store in a schema of its own, dropped
// when the test ends. It fails the test when MESHGATE_TEST_POSTGRES is unset
// or the server cannot be reached: callers ask for PostgreSQL only when it is
// part of the run.
func OpenPostgres(t testing.TB, clock mesh.Clock) *postgres.DB {
	t.Helper()
	return OpenPostgresWith(t, postgres.Options{Clock: clock})
}

// OpenPostgresWith is OpenPostgres with opts; its Schema is the test's own,
// and its MaxConns 8 unless set.
func OpenPostgresWith(t testing.TB, opts postgres.Options) *postgres.DB {
	t.Helper()
	url := PostgresURL(t)
	schema := NewSchemaName(t)
	ctx := context.Background()
	opts.Schema = schema
	if opts.MaxConns == 0 {
		opts.MaxConns = 8
	}
	db, err := postgres.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("open postgres (%s): %v", PostgresURLEnv, err)
	}
	t.Cleanup(func() {
		db.Close()
		DropSchema(t, url, schema)
	})
	return db
}

// NewSchemaName returns a unique schema name for a test.
func NewSchemaName(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	name := strings.ToLower(t.Name())
	name = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, name)
	if len(name) > 40 {
		name = name[:40]
	}
	return "t_" + name + "_" + hex.EncodeToString(b)
}

// DropSchema removes a test's schema.
func DropSchema(t testing.TB, url, schema string) {
	if err := postgres.DropSchema(context.Background(), url, schema); err != nil {
		t.Error(err)
	}
}

// PostgresSchemaURL creates a fresh schema on the test PostgreSQL server,
// dropped when the test ends, and returns a URL whose connections use it:
// for servers, in this process or another, that open the store themselves.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	schema := NewSchemaName(t)
	u, err := postgres.SchemaURL(context.Background(), base, schema)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	t.Cleanup(func() { DropSchema(t, base, schema) })
	return u
}

// RequireEnv names the environment variable listing components a run must
// have (comma-separated, such as "postgres", or "all"); CI sets it so that a missing
// component fails the run instead of skipping its tests.
const RequireEnv = "MESHGATE_TEST_REQUIRE"

// Required reports whether the run demands component.
func Required(component string) bool {
	for _, c := range strings.Split(os.Getenv(RequireEnv), ",") {
		if strings.TrimSpace(c) == component || strings.TrimSpace(c) == "all" {
			return true
		}
	}
	return false
}

// PostgresURL returns the test server's URL. When it is unset the test is
// skipped with a plain message, or fails when the run requires PostgreSQL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(PostgresURLEnv)
	if url == "" {
		if Required("postgres") {
			t.Fatalf("%s is not set but %s requires postgres", PostgresURLEnv, RequireEnv)
		}
		t.Skipf("%s is not set: PostgreSQL is not tested in this run", PostgresURLEnv)
	}
	return url
}
