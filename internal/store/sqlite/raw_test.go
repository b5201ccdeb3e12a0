package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

	db = reopen(t, path)
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
	path, raw := migratedRaw(t)
	// as a store of before migration 0016 left it
	execAll(t, raw,
		`DROP VIEW workflow_history`,
		`DROP TABLE workflow_history_chunks`,
		`DELETE FROM schema_migrations WHERE version = 16`,
		`CREATE TABLE workflow_history (execution_id TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
			type TEXT NOT NULL, timestamp TEXT NOT NULL, details TEXT, PRIMARY KEY (execution_id, id)) WITHOUT ROWID`,
	)
	for _, r := range storetest.OldHistory {
		at, _ := time.Parse(time.RFC3339Nano, r[4])
		if _, err := raw.Exec(`INSERT INTO workflow_history VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))`,
			r[0], r[1], r[2], r[3], at.UTC().Format("2006-01-02T15:04:05.000000000Z"), r[5]); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db := reopen(t, path)
	storetest.HistoryMigrated(t, db)
	raw, err := sql.Open("sqlite", path)
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

// TestGrantSourceMigration checks that migration 0021, which makes the
// grants table again to key it by source too, keeps every grant as it was
// and the ids of deleted grants unused, and that a principal may then hold
// a grant on the same resource from another source.
func TestGrantSourceMigration(t *testing.T) {
	ctx := context.Background()
	path, raw := migratedRaw(t)
	// as a store of before migration 0021 left it: grants 1 and 2 kept,
	// 3 to 9 deleted
	execAll(t, raw,
		`DROP TABLE grants`,
		`DELETE FROM schema_migrations WHERE version = 21`,
		`CREATE TABLE grants (id INTEGER PRIMARY KEY AUTOINCREMENT, principal TEXT NOT NULL, account_id TEXT NOT NULL,
			is_user INTEGER NOT NULL, database TEXT NOT NULL, tbl TEXT NOT NULL DEFAULT '', col_mode TEXT NOT NULL DEFAULT '',
			columns TEXT NOT NULL DEFAULT '', permissions INTEGER NOT NULL, grantable INTEGER NOT NULL DEFAULT 0,
			status TEXT NOT NULL, share_id INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL DEFAULT '',
			granted_by TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL, UNIQUE (principal, database, tbl, col_mode, columns))`,
		`CREATE INDEX grants_account ON grants (account_id, database)`,
		`CREATE INDEX grants_resource ON grants (database, tbl)`,
		`CREATE INDEX grants_share ON grants (share_id) WHERE share_id <> 0`,
		`CREATE INDEX grants_version ON grants (version)`,
		`CREATE INDEX grants_source ON grants (source, database) WHERE source <> ''`,
		`INSERT INTO grants VALUES (1, '333344445555', '333344445555', 0, 'sales', 'orders', '', '', 3, 3, 'active', 7, '', 'central/admin', 5,
			'2026-03-04T05:06:07.000000000Z', '2026-03-04T05:06:07.000000000Z')`,
		`INSERT INTO grants VALUES (2, '333344445555/alice', '333344445555', 1, 'sales', 'orders', '', '', 3, 0, 'active', 0, '333344445555', '333344445555/sadmin', 6,
			'2026-03-04T05:06:07.000000000Z', '2026-03-04T05:06:07.000000000Z')`,
		`UPDATE sqlite_sequence SET seq = 9 WHERE name = 'grants'`,
	)
	raw.Close()

	db := reopen(t, path)
	orders := mesh.Resource{Database: "sales", Table: "orders"}
	err := db.Update(ctx, func(tx store.Tx) error {
		gs, err := tx.FindGrants(ctx, store.GrantFilter{Database: "sales"})
		if err != nil {
			return err
		}
		if len(gs) != 2 || gs[0].ID != 1 || gs[0].ShareID != 7 || gs[0].Grantable != 3 || gs[0].Version != 5 ||
			gs[1].ID != 2 || gs[1].Source != "333344445555" || gs[1].GrantedBy != "333344445555/sadmin" {
			t.Errorf("got grants %+v, want the two as they were", gs)
		}
		now := time.Now()
		g := &mesh.Grant{Principal: "333344445555/alice", Resource: orders, Permissions: mesh.PermissionsOf(mesh.PermInsert),
			Status: mesh.GrantActive, Source: "333344445555/carol", GrantedBy: "333344445555/carol", CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateGrant(ctx, g); err != nil {
			t.Errorf("alice's grant on orders from another source: got %v, want it made", err)
		}
		if g.ID != 10 {
			t.Errorf("got id %d for the next grant, want 10: the ids of deleted grants stay unused", g.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSubscriptionUniqueMigration checks that migration 0022 (and 0024 after
// it) leaves each endpoint one live subscription of those a store held
// before, so that its index can be made, and that the index then refuses
// another.
func TestSubscriptionUniqueMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	topic := storetest.CreateOldSubscriptionsTopic(t, db)
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0022 left it
	execAll(t, raw,
		`DROP INDEX notify_subscriptions_live_endpoint`,
		`DELETE FROM schema_migrations WHERE version IN (22, 24)`,
	)
	insertOldSubscriptions(t, raw, topic, storetest.OldSubscriptions)
	raw.Close()
	db = reopen(t, path)
	storetest.SubscriptionsMigrated(t, db)
}

// TestSubscriptionEmailCaseMigration checks that migration 0024 leaves each
// email address one live subscription of those a store held in several
// cases before, so that its index, which compares addresses ignoring case,
// can be made, and that the index then refuses another.
func TestSubscriptionEmailCaseMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	topic := storetest.CreateOldSubscriptionsTopic(t, db)
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0024 left it: 0022's index compared
	// endpoints as they were spelled
	execAll(t, raw,
		`DROP INDEX notify_subscriptions_live_endpoint`,
		`CREATE UNIQUE INDEX notify_subscriptions_live_endpoint ON notify_subscriptions (topic_id, protocol, endpoint) WHERE status <> 'unsubscribed'`,
		`DELETE FROM schema_migrations WHERE version = 24`,
	)
	insertOldSubscriptions(t, raw, topic, storetest.OldEmailSubscriptions)
	raw.Close()
	db = reopen(t, path)
	storetest.EmailSubscriptionsMigrated(t, db)
}

// TestNotifyRetentionMigration checks that migration 0025 drops the
// payloads of deliveries sent before it and dates the finished ones for
// their retention.
func TestNotifyRetentionMigration(t *testing.T) {
	path, raw := migratedRaw(t)
	// as a store of before migration 0025 left it
	execAll(t, raw,
		`DROP INDEX notify_deliveries_finished`,
		`DROP INDEX notify_mailbox_created`,
		`ALTER TABLE notify_deliveries DROP COLUMN finished_at`,
		`DELETE FROM schema_migrations WHERE version = 25`,
	)
	for _, d := range storetest.OldDeliveries {
		var sent any
		if d[2] != "" {
			sent = "2026-03-01T12:00:00.000000000Z"
		}
		if _, err := raw.Exec(`INSERT INTO notify_deliveries (message_id, subscription_id, dedupe, kind, protocol, endpoint, payload, next_attempt, status, created_at, sent_at)
			VALUES (?, 0, 'e:email:a@example.com', 'direct', 'email', 'a@example.com', ?, '2026-03-01T12:00:00.000000000Z', ?, '2026-03-01T12:00:00.000000000Z', ?)`,
			d[0], []byte(storetest.OldPayload), d[1], sent); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	storetest.DeliveriesMigrated(t, reopen(t, path), time.Now())
}

// reopen opens the store on path again, as the next start of the server
// would, migrating it; it is closed when the test ends.
func reopen(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrateAgain opens a new store, lets create write into it, and opens it
// again as a store of before migration version left it: the migration
// runs on what create wrote.
func migrateAgain(t *testing.T, version int, create func(store.Store)) *sqlite.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	create(db)
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, raw, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, version))
	raw.Close()
	return reopen(t, path)
}

// execAll runs stmts on raw, one after another, failing the test at the
// first error.
func execAll(t *testing.T, raw *sql.DB, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// insertOldSubscriptions stores rows (id, protocol, endpoint, status) as
// subscriptions of topic, as a store of before a migration held them.
func insertOldSubscriptions(t *testing.T, raw *sql.DB, topic int64, rows [][4]string) {
	t.Helper()
	for _, r := range rows {
		if _, err := raw.Exec(`INSERT INTO notify_subscriptions (id, topic_id, account_id, protocol, endpoint, status, token_hash, secret, created_at)
			VALUES (?, ?, '111122223333', ?, ?, ?, 'token-' || ?, 'x', '2026-03-01T12:00:00.000000000Z')`, r[0], topic, r[1], r[2], r[3], r[0]); err != nil {
			t.Fatal(err)
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

// TestSharingGrantSourceMigration checks that migration 0026 gives the
// data-sharing workflow's grants made before they had a source of their
// own the source @sharing where requests alone gave them, and keeps the
// owner's source on those that may hold a grant made by hand.
func TestSharingGrantSourceMigration(t *testing.T) {
	var old storetest.OldSharingGrants
	db := migrateAgain(t, 26, func(s store.Store) { old = storetest.CreateOldSharingGrants(t, s) })
	storetest.SharingGrantsMigrated(t, db, old)
}

// TestWebhookURLsRedactedMigration checks that migration 0027 rewrites the
// audit entries and deliveries' last errors that older versions wrote with
// a webhook's whole URL as new code writes them (storetest.WebhookURLsRedacted).
func TestWebhookURLsRedactedMigration(t *testing.T) {
	storetest.WebhookURLsRedacted(t, migrateAgain(t, 27, func(s store.Store) { storetest.CreateOldWebhookRows(t, s) }))
}

// TestWorkflowURLsRedactedMigration checks that migration 0028 rewrites the
// failed HTTP tasks' causes and the decisions through a webhook's link
// that older versions wrote with a URL whole, in histories and wherever
// they were copied, as new code writes them (storetest.WorkflowURLsRedacted).
func TestWorkflowURLsRedactedMigration(t *testing.T) {
	storetest.WorkflowURLsRedacted(t, migrateAgain(t, 28, func(s store.Store) { storetest.CreateOldWorkflowRows(t, s) }))
}

// TestHTTPTaskParametersRedactedMigration checks that migration 0029
// rewrites the HTTP tasks' TaskScheduled events and the causes quoting a
// refused Url that older versions wrote with the Url and the headers
// whole, as new code writes them (storetest.HTTPTaskParametersRedacted).
func TestHTTPTaskParametersRedactedMigration(t *testing.T) {
	storetest.HTTPTaskParametersRedacted(t, migrateAgain(t, 29, func(s store.Store) { storetest.CreateOldWorkflowRows(t, s) }))
}
