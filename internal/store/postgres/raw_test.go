package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Tests that read rows the store interface does not show.

// TestSkeletonBackfill checks that users created before skeletons were kept
// get theirs when the store opens, so look-alikes of them are refused.
func TestSkeletonBackfill(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
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
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0009 left it
	if _, err := db.Pool().Exec(ctx, `UPDATE users SET username_skeleton = ''`); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, url)
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "Alice", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("a look-alike of a user from before skeletons: got %v, want conflict", err)
	}
}

// TestOutboxForgetsInput: see storetest.OutboxForgetsInput.
func TestOutboxForgetsInput(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	storetest.OutboxForgetsInput(t, db, func() []string {
		rows, err := db.Pool().Query(context.Background(), `SELECT input FROM workflow_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(out) != 2 {
			t.Fatalf("got %d outbox rows (%v), want 2", len(out), err)
		}
		return out
	})
}

// TestHistoryViewShowsEvents: see storetest.HistoryViewShowsEvents.
func TestHistoryViewShowsEvents(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	storetest.HistoryViewShowsEvents(t, db, func() []storetest.HistoryViewRow {
		rows, err := db.Pool().Query(context.Background(),
			`SELECT timestamp, coalesce(details, ''), coalesce(repeats, '') FROM workflow_history WHERE execution_id = 'v' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storetest.HistoryViewRow, error) {
			var r storetest.HistoryViewRow
			err := row.Scan(&r.Time, &r.Details, &r.Repeats)
			return r, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

// TestHistoryChunksMigration checks that migration 0016 keeps the events
// of histories written an event a row, and that the view shows them so.
func TestHistoryChunksMigration(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0016 left it
	execAll(t, db,
		`DROP VIEW workflow_history`,
		`DROP TABLE workflow_history_chunks`,
		`DELETE FROM schema_migrations WHERE version = 16`,
		`CREATE TABLE workflow_history (execution_id TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,
			type TEXT NOT NULL, timestamp TIMESTAMPTZ NOT NULL, details TEXT, PRIMARY KEY (execution_id, id))`,
	)
	for _, r := range storetest.OldHistory {
		if _, err := db.Pool().Exec(ctx, `INSERT INTO workflow_history VALUES ($1, $2::integer, $3::integer, $4, $5::timestamptz, NULLIF($6, ''))`,
			r[0], r[1], r[2], r[3], r[4], r[5]); err != nil {
			t.Fatal(err)
		}
	}
	db = reopen(t, db, url)
	storetest.HistoryMigrated(t, db)
	var n int
	var typ, details string
	var last time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT count(*), max(type), max(details), max(timestamp) FROM workflow_history WHERE execution_id = 'e1'`).Scan(&n, &typ, &details, &last); err != nil ||
		n != 3 || typ != "PassStateEntered" || details != `{"output":null}` || !last.Equal(time.Date(2026, 3, 1, 12, 0, 0, 2e6, time.UTC)) {
		t.Errorf("the view: got %d rows, %q, %q, %v, %v; want 3 events", n, typ, details, last, err)
	}
}

// TestSearchRefoldMigration checks that migration 0022 and the store's
// open recompute the search vectors written before diacritics were folded,
// so that "cafe" finds "café" in databases and tables stored before, and
// leave the others as they were.
func TestSearchRefoldMigration(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		for _, d := range []*mesh.Database{{Name: "shop", Description: "Café orders"}, {Name: "plain", Description: "cafe orders"}} {
			if err := tx.CreateDatabase(ctx, d); err != nil {
				return err
			}
		}
		return tx.CreateTable(ctx, &mesh.Table{DatabaseName: "shop", Name: "menu",
			Columns: []mesh.Column{{Name: "dish", Type: "string", Comment: "crème brûlée"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0022 left it: vectors of unfolded tokens
	execAll(t, db,
		`DROP INDEX catalog_databases_refold`,
		`DROP INDEX catalog_tables_refold`,
		`ALTER TABLE catalog_databases DROP COLUMN search_refold`,
		`ALTER TABLE catalog_tables DROP COLUMN search_refold`,
		`DELETE FROM schema_migrations WHERE version = 22`,
		`UPDATE catalog_databases SET search = setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', lower(description)), 'B')`,
		`UPDATE catalog_tables SET search = setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', 'dish crème brûlée'), 'C')`,
	)
	search := func(q string) []string {
		t.Helper()
		var got []string
		err := db.View(ctx, func(tx store.Tx) error {
			hits, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: q})
			for _, h := range hits {
				got = append(got, h.Kind+" "+h.Database+"."+h.Table)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	if got := search("brulee"); len(got) != 0 {
		t.Fatalf("before the migration: got %q, want no hits (the old vectors kept the accents)", got)
	}
	db = reopen(t, db, url)
	for q, want := range map[string][]string{
		"cafe":   {"database plain.", "database shop."},
		"café":   {"database plain.", "database shop."},
		"brulee": {"column shop.menu"},
	} {
		if got := search(q); !slices.Equal(got, want) {
			t.Errorf("search %q after the migration: got %q, want %q", q, got, want)
		}
	}
	var marked int
	if err := db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM catalog_databases WHERE search_refold) +
		(SELECT count(*) FROM catalog_tables WHERE search_refold)`).Scan(&marked); err != nil || marked != 0 {
		t.Errorf("got %d rows still marked (%v), want none", marked, err)
	}
}

// TestLockGrantByResource: a grant locked by one transaction cannot be
// updated or deleted by another until the first ends; one only found can.
func TestLockGrantByResource(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	ctx := context.Background()
	now := time.Now()
	r := mesh.Resource{Database: "sales", Table: "orders"}
	g := &mesh.Grant{Principal: "222233334444", Resource: r, Permissions: mesh.PermissionsOf(mesh.PermSelect),
		Status: mesh.GrantActive, GrantedBy: "central/admin", CreatedAt: now, UpdatedAt: now}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateGrant(ctx, g) }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		find     func(store.Tx) func(context.Context, mesh.Principal, mesh.Resource, mesh.Principal) (*mesh.Grant, error)
		blocking bool
	}{
		{"found", func(tx store.Tx) func(context.Context, mesh.Principal, mesh.Resource, mesh.Principal) (*mesh.Grant, error) {
			return tx.FindGrantByResource
		}, false},
		{"locked", func(tx store.Tx) func(context.Context, mesh.Principal, mesh.Resource, mesh.Principal) (*mesh.Grant, error) {
			return tx.LockGrantByResource
		}, true},
	} {
		err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := c.find(tx)(ctx, g.Principal, r, ""); err != nil {
				return err
			}
			for _, stmt := range []string{`UPDATE grants SET permissions = permissions WHERE id = $1`, `DELETE FROM grants WHERE id = $1`} {
				if blocked := storetest.Locked(t, db, stmt, g.ID); blocked != c.blocking {
					t.Errorf("%s grant, %s from another transaction: blocked %v, want %v", c.name, stmt, blocked, c.blocking)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestResourceLookupsFindOneRow: finding a share or a grant by what
// identifies it reads one index entry even in a generic plan made while
// the tables have no statistics (a prepared statement's cached plan, made
// on a new store), instead of every share or grant of the database and
// table, filtered by account or principal.
func TestResourceLookupsFindOneRow(t *testing.T) {
	conn := planConn(t, `SET plan_cache_mode = force_generic_plan`)
	for _, c := range []struct{ query, args, key string }{
		// as FindShare and LockGrantByResource send them
		{`SELECT id FROM shares WHERE account_id = $1 AND database = $2 AND tbl = $3`,
			`'222233334444', 'sales', 'orders'`, "account_id"},
		{`SELECT id FROM grants WHERE principal = $1 AND database = $2 AND tbl = $3 AND col_mode = $4 AND columns = $5 AND source = $6 FOR SHARE`,
			`'222233334444', 'sales', 'orders', 'all', '', ''`, "principal"},
	} {
		plan := explain(t, conn, c.query, c.args)
		for _, line := range plan {
			if strings.Contains(line, "Filter:") && strings.Contains(line, c.key) {
				t.Errorf("%s: %s is filtered, not looked up in the index:\n%s", c.query, c.key, strings.Join(plan, "\n"))
			}
		}
	}
}

// TestResourceLinksByIndex: finding an account's links, a share's link or
// both searches an index instead of reading every link, as a link is
// looked for each time a share is made; so in a generic plan too.
func TestResourceLinksByIndex(t *testing.T) {
	// With sequential scans off, a plan that cannot search an index still
	// reads every link: a sequential scan at a prohibitive cost, or a whole
	// index in order, with no condition on it.
	conn := planConn(t, `SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off`)
	for _, c := range []struct {
		account string
		share   int64
	}{{"222233334444", 0}, {"", 7}, {"222233334444", 7}} {
		q, args := postgres.ResourceLinksQuery(c.account, c.share)
		lits := make([]string, len(args))
		for i, a := range args {
			lits[i] = "'" + fmt.Sprint(a) + "'"
		}
		plan := explain(t, conn, q, strings.Join(lits, ", "))
		if !slices.ContainsFunc(plan, func(line string) bool { return strings.Contains(line, "Index Cond:") }) {
			t.Errorf("links of account %q and share %d: the plan reads every link:\n%s", c.account, c.share, strings.Join(plan, "\n"))
		}
	}
}

// TestRefreshReadsByVersion: a replica's refresh, which runs at every
// access change of another replica, finds the grants and links changed
// since its version through the version indexes, in a generic plan made
// before the tables have statistics too (a busy new store), instead of
// reading every grant and link.
func TestRefreshReadsByVersion(t *testing.T) {
	ctx := context.Background()
	db, tr := openStatements(t)
	err := db.View(ctx, func(tx store.Tx) error {
		if _, err := tx.FindGrants(ctx, store.GrantFilter{SinceVersion: 1, UntilVersion: 2}); err != nil {
			return err
		}
		if _, _, err := tx.FindResourceLinkChanges(ctx, 1, 2); err != nil {
			return err
		}
		_, err := store.FindAccessChanges(ctx, tx, 1, 100_000) // as the refresh reads
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := planConn(t, `SET plan_cache_mode = force_generic_plan`)
	for _, stmt := range []string{
		`INSERT INTO grants (principal, account_id, is_user, database, permissions, status, version, created_at, updated_at)
			SELECT 'p' || i, 'p' || i, false, 'sales', 1, 'active', i, now(), now() FROM generate_series(1, 10000) i`,
		`INSERT INTO resource_links (account_id, name, database, share_id, created_at, version)
			SELECT 'a' || i, 'sales', 'sales', i, now(), i FROM generate_series(1, 10000) i`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	var found []string
	for _, q := range tr.sql {
		if !strings.HasPrefix(q, "SELECT") || !strings.Contains(q, "FROM grants") && !strings.Contains(q, "FROM resource_links") {
			continue // the migrations', and the tombstones'
		}
		found = append(found, q)
		plan := explain(t, conn, q, "1, 2")
		if !slices.ContainsFunc(plan, func(line string) bool {
			return strings.Contains(line, "Index Cond:") && strings.Contains(line, "version")
		}) {
			t.Errorf("%s: the plan reads every row:\n%s", q, strings.Join(plan, "\n"))
		}
	}
	if len(found) != 4 {
		t.Errorf("got %d statements on grants and links, want 4: %q", len(found), found)
	}
}

// planConn returns a connection to a new store's schema with settings run
// on it, for explain; it is released when the test ends.
func planConn(t *testing.T, settings string) *pgxpool.Conn {
	t.Helper()
	db := storetest.OpenPostgres(t, nil)
	conn, err := db.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if _, err := conn.Exec(context.Background(), settings); err != nil {
		t.Fatal(err)
	}
	return conn
}

// explain returns the plan of query, prepared on conn and executed with
// literals (SQL literals, comma-separated): the generic plan when
// plan_cache_mode forces it.
func explain(t *testing.T, conn *pgxpool.Conn, query, literals string) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `PREPARE explained AS `+query); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `DEALLOCATE explained`)
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE explained(`+literals+`)`)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// reopen closes db and opens the store at url again, as a restart does,
// running the migrations still to run; the new one closes with the test.
func reopen(t *testing.T, db *postgres.DB, url string) *postgres.DB {
	t.Helper()
	db.Close()
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrateAgain opens a store in a new schema, lets create write into it,
// and opens it again as a store of before migration version left it: the
// migration runs on what create wrote.
func migrateAgain(t *testing.T, version int, create func(store.Store)) *postgres.DB {
	t.Helper()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	create(db)
	execAll(t, db, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, version))
	return reopen(t, db, url)
}

// execAll runs stmts on db's pool, one after another, failing the test at
// the first error.
func execAll(t *testing.T, db *postgres.DB, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := db.Pool().Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// insertOldSubscriptions stores rows (id, protocol, endpoint, status) as
// subscriptions of topic, as a store of before a migration held them, and
// moves the ids' sequence past them.
func insertOldSubscriptions(t *testing.T, db *postgres.DB, topic int64, rows [][4]string) {
	t.Helper()
	ctx := context.Background()
	for _, r := range rows {
		if _, err := db.Pool().Exec(ctx, `INSERT INTO notify_subscriptions (id, topic_id, account_id, protocol, endpoint, status, token_hash, secret, created_at)
			VALUES ($1::bigint, $2, '111122223333', $3, $4, $5, 'token-' || $1, 'x', now())`, r[0], topic, r[1], r[2], r[3]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Pool().Exec(ctx, `SELECT setval(pg_get_serial_sequence('notify_subscriptions', 'id'), (SELECT max(id) FROM notify_subscriptions))`); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaTooNew: a store that a newer binary migrated (it has a
// migration this binary does not know) is refused at open.
func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_later.sql', now())`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := postgres.Open(ctx, url, postgres.Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("open: got %v, want %v", err, store.ErrSchemaTooNew)
	}
}

// TestSubscriptionUniqueMigration checks that migration 0024 (and 0026 after
// it) leaves each endpoint one live subscription of those a store held
// before, so that its index can be made, and that the index then refuses
// another.
func TestSubscriptionUniqueMigration(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	topic := storetest.CreateOldSubscriptionsTopic(t, db)
	// as a store of before migration 0024 left it
	execAll(t, db,
		`DROP INDEX notify_subscriptions_live_endpoint`,
		`DELETE FROM schema_migrations WHERE version IN (24, 26)`,
	)
	insertOldSubscriptions(t, db, topic, storetest.OldSubscriptions)
	db = reopen(t, db, url)
	storetest.SubscriptionsMigrated(t, db)
}

// TestNotifyRetentionMigration checks that migration 0027 drops the
// payloads of deliveries sent before it and dates the finished ones for
// their retention.
func TestNotifyRetentionMigration(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0027 left it
	execAll(t, db,
		`DROP INDEX notify_deliveries_finished`,
		`DROP INDEX notify_mailbox_created`,
		`ALTER TABLE notify_deliveries DROP COLUMN finished_at`,
		`DELETE FROM schema_migrations WHERE version = 27`,
	)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, d := range storetest.OldDeliveries {
		var sent any
		if d[2] != "" {
			sent = t0
		}
		if _, err := db.Pool().Exec(ctx, `INSERT INTO notify_deliveries (message_id, subscription_id, dedupe, kind, protocol, endpoint, payload, next_attempt, status, created_at, sent_at)
			VALUES ($1, 0, 'e:email:a@example.com', 'direct', 'email', 'a@example.com', $2, $3, $4, $3, $5)`,
			d[0], []byte(storetest.OldPayload), t0, d[1], sent); err != nil {
			t.Fatal(err)
		}
	}
	storetest.DeliveriesMigrated(t, reopen(t, db, url), time.Now())
}

// TestSubscriptionEmailCaseMigration checks that migration 0026 leaves each
// email address one live subscription of those a store held in several
// cases before, so that its index, which compares addresses ignoring case,
// can be made, and that the index then refuses another.
func TestSubscriptionEmailCaseMigration(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	topic := storetest.CreateOldSubscriptionsTopic(t, db)
	// as a store of before migration 0026 left it: 0024's index compared
	// endpoints as they were spelled
	execAll(t, db,
		`DROP INDEX notify_subscriptions_live_endpoint`,
		`CREATE UNIQUE INDEX notify_subscriptions_live_endpoint ON notify_subscriptions (topic_id, protocol, endpoint) WHERE status <> 'unsubscribed'`,
		`DELETE FROM schema_migrations WHERE version = 26`,
	)
	insertOldSubscriptions(t, db, topic, storetest.OldEmailSubscriptions)
	db = reopen(t, db, url)
	storetest.EmailSubscriptionsMigrated(t, db)
}

// TestSharingGrantSourceMigration checks that migration 0028 gives the
// data-sharing workflow's grants made before they had a source of their
// own the source @sharing where requests alone gave them, and keeps the
// owner's source on those that may hold a grant made by hand.
func TestSharingGrantSourceMigration(t *testing.T) {
	var old storetest.OldSharingGrants
	db := migrateAgain(t, 28, func(s store.Store) { old = storetest.CreateOldSharingGrants(t, s) })
	storetest.SharingGrantsMigrated(t, db, old)
}

// TestWebhookURLsRedactedMigration checks that migration 0029 rewrites the
// audit entries and deliveries' last errors that older versions wrote with
// a webhook's whole URL as new code writes them (storetest.WebhookURLsRedacted).
func TestWebhookURLsRedactedMigration(t *testing.T) {
	storetest.WebhookURLsRedacted(t, migrateAgain(t, 29, func(s store.Store) { storetest.CreateOldWebhookRows(t, s) }))
}

// TestWorkflowURLsRedactedMigration checks that migration 0030 rewrites the
// failed HTTP tasks' causes and the decisions through a webhook's link
// that older versions wrote with a URL whole, in histories and wherever
// they were copied, as new code writes them (storetest.WorkflowURLsRedacted).
func TestWorkflowURLsRedactedMigration(t *testing.T) {
	storetest.WorkflowURLsRedacted(t, migrateAgain(t, 30, func(s store.Store) { storetest.CreateOldWorkflowRows(t, s) }))
}

// TestHTTPTaskParametersRedactedMigration checks that migration 0031
// rewrites the HTTP tasks' TaskScheduled events and the causes quoting a
// refused Url that older versions wrote with the Url and the headers
// whole, as new code writes them (storetest.HTTPTaskParametersRedacted).
func TestHTTPTaskParametersRedactedMigration(t *testing.T) {
	storetest.HTTPTaskParametersRedacted(t, migrateAgain(t, 31, func(s store.Store) { storetest.CreateOldWorkflowRows(t, s) }))
}
