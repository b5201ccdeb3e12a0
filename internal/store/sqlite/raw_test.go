package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
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

// TestHistoryViewShowsEvents: see storetest.HistoryViewShowsEvents.
func TestHistoryViewShowsEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.HistoryViewShowsEvents(t, db, func() []storetest.HistoryViewRow {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT timestamp, coalesce(details, ''), coalesce(repeats, '') FROM workflow_history
			WHERE execution_id = 'v' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []storetest.HistoryViewRow
		for rows.Next() {
			var r storetest.HistoryViewRow
			var ts string
			if err := rows.Scan(&ts, &r.Details, &r.Repeats); err != nil {
				t.Fatal(err)
			}
			if r.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	})
}

// TestHistoryChunksMigration checks that migration 0016 keeps the events
// of histories written an event a row, and that the view shows them so.
func TestHistoryChunksMigration(t *testing.T) {
	ctx := context.Background()
	path, raw := migratedRaw(t)
	// as a store of before migration 0016 left it
	for _, stmt := range []string{
		`DROP VIEW workflow_history`,
		`DROP TABLE workflow_history_chunks`,
		`DELETE FROM schema_migrations WHERE version = 16`,
		`CREATE TABLE workflow_history (execution_id TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
			type TEXT NOT NULL, timestamp TEXT NOT NULL, details TEXT, PRIMARY KEY (execution_id, id)) WITHOUT ROWID`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, r := range storetest.OldHistory {
		at, _ := time.Parse(time.RFC3339Nano, r[4])
		if _, err := raw.Exec(`INSERT INTO workflow_history VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))`,
			r[0], r[1], r[2], r[3], at.UTC().Format("2006-01-02T15:04:05.000000000Z"), r[5]); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.HistoryMigrated(t, db)
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

// TestResourceLinksByIndex: finding an account's links, a share's link or
// both searches an index instead of reading every link, as a link is
// looked for each time a share is made.
func TestResourceLinksByIndex(t *testing.T) {
	ctx := context.Background()
	_, raw := migratedRaw(t)
	defer raw.Close()
	for _, c := range []struct {
		account string
		share   int64
	}{{"222233334444", 0}, {"", 7}, {"222233334444", 7}} {
		q, args := sqlite.ResourceLinksQuery(c.account, c.share)
		rows, err := raw.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN resource_links") {
				t.Errorf("links of account %q and share %d: the plan reads every link: %q", c.account, c.share, plan)
			}
		}
	}
}

// migratedRaw makes a store's database file, every migration applied, and
// opens it without the store.
func migratedRaw(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// TestSchemaTooNew: a store that a newer binary migrated (it has a
// migration this binary does not know) is refused at open, and left as it is.
func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path, raw := migratedRaw(t)
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_later.sql', '2026-12-07T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, path, sqlite.Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("open: got %v, want %v", err, store.ErrSchemaTooNew)
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = 9999`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after the refused open: %d rows of the newer migration (%v), want 1", n, err)
	}
}
