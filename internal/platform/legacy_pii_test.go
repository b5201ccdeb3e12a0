package platform_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestSyncKeepsLegacyPIIFlag: a column whose pii_flag holds a value stored
// before the catalog refused values other than true and false ("yes") does
// not stop the next sync from importing its table's changes: the table's
// comment changes on the platform, the sync changes it in the catalog and
// keeps the column's value as it was (read, as before, as not PII).
func TestSyncKeepsLegacyPIIFlag(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := syncedEnv(t, kind)
			db, orders := e.database(t), e.orders(t)
			e.storeLegacy(t, db, orders, func(tb *mesh.Table) { tb.Columns[2].Parameters = map[string]string{mesh.ParamPIIFlag: "yes"} })
			tb := e.resync(t, db, orders, map[string]string{
				"postgres": "COMMENT ON TABLE " + e.f.q(e.schema, e.table) + " IS 'orders, commented'",
				"mariadb":  "ALTER TABLE " + e.f.q(e.schema, e.table) + " COMMENT 'orders, commented'"})
			if tb.Description != "orders, commented" || tb.Columns[2].Parameters[mesh.ParamPIIFlag] != "yes" {
				t.Errorf("after the re-sync: got description %q and column %+v, want the new comment and pii_flag %q kept",
					tb.Description, tb.Columns[2], "yes")
			}
		})
	}
}

// storeLegacy changes the catalog's table db.table with legacy directly
// through the store, as an older version stored it before a check the
// catalog makes now.
func (e *env) storeLegacy(t *testing.T, db, table string, legacy func(tb *mesh.Table)) {
	t.Helper()
	ctx := context.Background()
	err := e.srv.Store.Update(ctx, func(tx store.Tx) error {
		tb, err := tx.FindTable(ctx, db, table)
		if err != nil {
			return err
		}
		legacy(tb)
		return tx.UpdateTable(ctx, tb, tb.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// resync runs on the platform the statement stmts holds for its kind,
// syncs it again, checks that the sync changed one table, and returns the
// catalog's table db.table as it holds it then.
func (e *env) resync(t *testing.T, db, table string, stmts map[string]string) *mesh.Table {
	t.Helper()
	ctx := context.Background()
	e.f.exec(t, stmts[e.f.kind])
	rep, err := e.admin.SyncPlatform(ctx, e.name)
	if err != nil || len(rep.Changed) != 1 {
		t.Fatalf("re-sync: got %+v (%v), want the orders table changed", rep, err)
	}
	tb, err := e.srv.Catalog.FindTable(mesh.NewContext(ctx, mesh.SystemActor("central")), db, table)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
