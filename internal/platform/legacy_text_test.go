package platform_test

import (
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TestSyncKeepsLegacyText: a table comment holding a line break, which a
// sync imported before the catalog refused control characters in
// descriptions, and a line break in a parameter set in meshgate then, do
// not stop the next sync from importing the table's other changes: a
// column's comment changes on the platform, the sync sends the table's
// comment made one line, as it now imports it, and the column's
// parameters as they are, and the catalog takes the new column comment
// and the one-line description and keeps the parameter as stored.
func TestSyncKeepsLegacyText(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := syncedEnv(t, kind)
			db, orders := e.database(t), e.orders(t)
			const comment = "orders\nof 2026"
			q := e.f.q
			if kind == "postgres" {
				e.f.exec(t, "COMMENT ON TABLE "+q(e.schema, e.table)+` IS E'orders\nof 2026'`)
			} else {
				e.f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+` COMMENT 'orders\nof 2026'`)
			}
			// as an older version imported and stored them
			e.storeLegacy(t, db, orders, func(tb *mesh.Table) {
				tb.Description = comment
				tb.Columns[2].Parameters = map[string]string{"note": "first line\nsecond line"}
			})
			tb := e.resync(t, db, orders, map[string]string{
				"postgres": "COMMENT ON COLUMN " + q(e.schema, e.table, "Id") + " IS 'the order id'",
				"mariadb":  "ALTER TABLE " + q(e.schema, e.table) + " MODIFY `Id` int COMMENT 'the order id'"})
			if tb.Description != "orders of 2026" || tb.Columns[0].Comment != "the order id" || tb.Columns[2].Parameters["note"] != "first line\nsecond line" {
				t.Errorf("after the re-sync: got description %q and columns %+v, want %q, the new comment and the note kept",
					tb.Description, tb.Columns, "orders of 2026")
			}
		})
	}
}
