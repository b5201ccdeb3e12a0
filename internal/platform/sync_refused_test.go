package platform_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
)

// TestSyncReportsRefusedTables: a table the catalog refuses (more columns
// than it holds) is reported by the sync, in its answer and its audit
// entry, and the platform's other tables are imported, where the whole
// sync failed. A table already imported whose change the catalog refuses
// stays as it was, in the catalog and in what grants reach on the
// platform: a grant excluding a column reaches none of the columns the
// catalog has not taken. The sync still drops what went from the platform.
// On PostgreSQL a schema comment the catalog refuses (too long) is reported
// alike and the schema's tables are still synced.
func TestSyncReportsRefusedTables(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := kindEnv(t, kind)
			f, q, ctx := e.f, e.f.q, context.Background()
			f.exec(t, "CREATE TABLE "+q(e.schema, "wide")+" ("+columns(1001, "c%d int")+")")
			e.register(t)
			rep, err := e.admin.SyncPlatform(ctx, e.name)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			db := e.database(t)
			tooWide := "table " + db + ".wide: columns: has 1001 columns and partition keys, more than 1000"
			if len(rep.Added) != 3 || !slices.Equal(rep.Refused, []string{tooWide}) {
				t.Errorf("sync: got %+v, want the database and two tables added and %q refused", rep, tooWide)
			}
			var ce *client.Error
			if _, err := e.admin.GetTable(ctx, db, "wide"); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
				t.Errorf("the refused table: got %v, want it not in the catalog", err)
			}
			audit, err := e.admin.ListAudit(ctx, client.AuditFilter{Action: "platform.sync"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 1 || !strings.Contains(audit.Entries[0].Detail, "refused 1: "+tooWide) {
				t.Errorf("audit of the sync: got %+v (%v), want it naming %q", audit, err, tooWide)
			}

			// orders grows past the limit and the other table goes.
			orders := e.orders(t)
			before, err := e.admin.GetTable(ctx, db, orders)
			if err != nil {
				t.Fatal(err)
			}
			f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+" "+columns(998, "ADD COLUMN c%d int"))
			f.exec(t, "DROP TABLE "+q(e.schema, e.other))
			want := []string{tooWide, "table " + db + "." + orders + ": columns: has 1001 columns and partition keys, more than 1000"}
			if kind == "postgres" {
				f.exec(t, "COMMENT ON SCHEMA "+q(e.schema)+" IS '"+strings.Repeat("x", 3000)+"'")
				want = append(want, "database "+db+": description: is longer than 2048 bytes")
			}
			rep, err = e.admin.SyncPlatform(ctx, e.name)
			if err == nil {
				slices.Sort(rep.Refused)
				slices.Sort(want)
			}
			if err != nil || !slices.Equal(rep.Refused, want) || len(rep.Dropped) != 1 || len(rep.Changed) != 0 {
				t.Fatalf("re-sync: got %+v (%v), want %q refused and the other table dropped", rep, err, want)
			}
			after, err := e.admin.GetTable(ctx, db, orders)
			if err != nil || after.Version != before.Version || len(after.Columns) != 3 {
				t.Errorf("orders after its change was refused: got %+v (%v), want version %d with its 3 columns", after, err, before.Version)
			}
			plan, err := e.admin.PlanPlatforms(ctx, client.PlanInput{Principal: e.consumerID + "/" + e.alice, Permissions: []string{"SELECT"},
				Resource: client.Resource{Database: db, Table: orders, ExcludedColumns: []string{before.Columns[2].Name}}})
			if err != nil || len(plan) != 1 {
				t.Fatalf("plan: got %+v (%v), want one platform's", plan, err)
			}
			var grant string
			for _, s := range plan[0].Statements {
				if strings.HasPrefix(s, "GRANT SELECT (") {
					grant = s
				}
			}
			if !strings.Contains(grant, q("Customer Name")+", "+q("Id")+")") {
				t.Errorf("plan of a grant excluding a column: got %q, want SELECT on the two columns the catalog holds", plan[0].Statements)
			}
		})
	}
}

// columns lists n column definitions, the i-th (from 1) def formatted
// with i, separated by commas.
func columns(n int, def string) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf(def, i+1)
	}
	return strings.Join(cols, ", ")
}
