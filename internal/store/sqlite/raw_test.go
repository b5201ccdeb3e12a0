package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Tests that read rows the store interface does not show.

// TestSkeletonBackfill checks that users created before skeletons were kept
// get theirs when the store opens, so look-alikes of them are refused.
func TestSkeletonBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "111122223333", Name: "Sales", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "alice", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0009 left it
	if _, err := raw.Exec(`UPDATE users SET username_skeleton = ''`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "Alice", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("a look-alike of a user from before skeletons: got %v, want conflict", err)
	}
}

// TestOutboxForgetsInput: see storetest.OutboxForgetsInput.
func TestOutboxForgetsInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.OutboxForgetsInput(t, db, func() []string {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT input FROM workflow_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		if len(out) != 2 {
			t.Fatalf("got %d outbox rows, want 2", len(out))
		}
		return out
	})
}

// TestHistoryChunksMigration checks that migration 0016 keeps the events
// of histories written an event a row, and that the view shows them so.
func TestHistoryChunksMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0016 left it
	for _, stmt := range []string{
		`DROP VIEW workflow_history`,
		`DROP TABLE workflow_history_chunks`,
		`DELETE FROM schema_migrations WHERE version = 16`,
		`CREATE TABLE workflow_history (execution_id TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
			type TEXT NOT NULL, timestamp TEXT NOT NULL, details TEXT, PRIMARY KEY (execution_id, id)) WITHOUT ROWID`,
		`INSERT INTO workflow_history VALUES
			('e1', 1, 0, 'ExecutionStarted', '2026-03-01T12:00:00.000000000Z', '{"input": {"a": [1, "two"]}}'),
			('e1', 2, 1, 'PassStateEntered', '2026-03-01T12:00:00.001000000Z', NULL),
			('e1', 3, 2, 'ExecutionSucceeded', '2026-03-01T12:00:00.002000000Z', '{"output":null}'),
			('e2', 1, 0, 'ExecutionStarted', '2026-03-01T12:00:01.000000000Z', '{}')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()

	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := func(ms int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, ms*int(time.Millisecond), time.UTC) }
	want := []mesh.HistoryEvent{
		{ExecutionID: "e1", ID: 1, Type: "ExecutionStarted", Timestamp: at(0), Details: json.RawMessage(`{"input":{"a":[1,"two"]}}`)},
		{ExecutionID: "e1", ID: 2, PreviousID: 1, Type: "PassStateEntered", Timestamp: at(1)},
		{ExecutionID: "e1", ID: 3, PreviousID: 2, Type: "ExecutionSucceeded", Timestamp: at(2), Details: json.RawMessage(`{"output":null}`)},
	}
	db.View(ctx, func(tx store.Tx) error {
		got, err := tx.FindHistoryEvents(ctx, "e1", 0, 0)
		if err != nil || len(got) != len(want) {
			t.Fatalf("e1: got %d events, %v; want %d", len(got), err, len(want))
		}
		for i, g := range got {
			w := want[i]
			if g.ID != w.ID || g.PreviousID != w.PreviousID || g.Type != w.Type || !g.Timestamp.Equal(w.Timestamp) || string(g.Details) != string(w.Details) {
				t.Errorf("event %d: got %+v (details %s), want %+v (details %s)", i, *g, g.Details, w, w.Details)
			}
		}
		if got, err := tx.FindHistoryEvents(ctx, "e2", 0, 0); err != nil || len(got) != 1 || string(got[0].Details) != `{}` {
			t.Errorf("e2: got %v %v", got, err)
		}
		return nil
	})
	raw, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	var typ, details string
	if err := raw.QueryRow(`SELECT count(*), max(type), max(details) FROM workflow_history WHERE execution_id = 'e1'`).Scan(&n, &typ, &details); err != nil || n != 3 || typ != "PassStateEntered" || details != `{"output":null}` {
		t.Errorf("the view: got %d rows, %q, %q, %v; want 3 events", n, typ, details, err)
	}
}
