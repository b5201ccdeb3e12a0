package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

func openTestPool(t testing.TB) *sql.DB {
	t.Helper()
	pool, err := openPool(filepath.Join(t.TempDir(), "c.db"), Options{Synchronous: "NORMAL", BusyTimeout: 1e9}, "immediate", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	// A script of several statements without arguments runs whole.
	if _, err := pool.Exec(`CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (3, 'c');`); err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestStatementCache(t *testing.T) {
	pool := openTestPool(t)
	ctx := context.Background()
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT v FROM kv WHERE k >= ? ORDER BY k`
	// The same query, nested while its rows are still open, gets its own statement.
	outer, err := tx.QueryContext(ctx, q, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		outer.Scan(&v)
		var inner string
		if err := tx.QueryRowContext(ctx, q, 1).Scan(&inner); err != nil {
			t.Fatalf("nested query: %v", err)
		}
		got = append(got, v+inner)
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "ba" || got[1] != "ca" {
		t.Fatalf("got %v, want [ba ca]", got)
	}
	// Reused statements bind fresh arguments each time.
	for k, want := range map[int]string{1: "a", 3: "c", 2: "b"} {
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = ?`, k).Scan(&v); err != nil || v != want {
			t.Errorf("k=%d: got %q, %v; want %q", k, v, err, want)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE kv SET v = ? WHERE k = ?`, "z", 1); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = ?`, 1).Scan(&v); err != nil || v != "z" {
		t.Errorf("after update: got %q, %v; want z", v, err)
	}
}

func BenchmarkPointQuery(b *testing.B) {
	pool := openTestPool(b)
	ctx := context.Background()
	for b.Loop() {
		tx, _ := pool.BeginTx(ctx, nil)
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = ?`, 2).Scan(&v); err != nil {
			b.Fatal(err)
		}
		tx.Rollback()
	}
}
