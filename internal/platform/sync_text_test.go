package platform_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/platform"
)

// TestSyncNormalisesText: a table and a column commented on the platform
// over several lines, indented with a tab and holding a backspace, are
// imported with each run of control characters (and the spaces around it)
// as one space, where the catalog refused them and the whole sync failed;
// so is the location of a table whose name holds a line break. A re-sync
// changes nothing and keeps every table's version; a comment changed on
// the platform to several lines is imported alike.
func TestSyncNormalisesText(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := kindEnv(t, kind)
			f, q, ctx := e.f, e.f.q, context.Background()
			// Both platforms read \r, \n, \t and \b in these literals as
			// the control characters.
			const table, column, changed = `orders\r\n\tof 2026\n`, `the\tkey,\n  from\bthe source`, `who\n\nordered`
			if kind == "postgres" {
				f.exec(t, "COMMENT ON TABLE "+q(e.schema, e.table)+" IS E'"+table+"'")
				f.exec(t, "COMMENT ON COLUMN "+q(e.schema, e.table, "Id")+" IS E'"+column+"'")
			} else {
				f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+" COMMENT '"+table+"'")
				f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+" MODIFY `Id` int COMMENT '"+column+"'")
			}
			f.exec(t, "CREATE TABLE "+q(e.schema, "two\nlines")+" (x int)")
			e.register(t)
			rep, err := e.admin.SyncPlatform(ctx, e.name)
			if err != nil || len(rep.Added) != 4 {
				t.Fatalf("sync: got %+v (%v), want the database and three tables added", rep, err)
			}
			var locations []string
			for _, tb := range e.tables(t) {
				locations = append(locations, tb.Location)
			}
			if !slices.ContainsFunc(locations, func(l string) bool { return strings.HasSuffix(l, "/two lines") }) {
				t.Errorf("got locations %q, want one ending /two lines", locations)
			}
			orders := e.tableDescribed(t, "orders of 2026")
			if got := orders.Columns[0].Comment; got != "the key, from the source" {
				t.Errorf("column Id: got comment %q, want %q", got, "the key, from the source")
			}

			versions := e.versions(t)
			rep, err = e.admin.SyncPlatform(ctx, e.name)
			if err != nil || len(rep.Added)+len(rep.Changed)+len(rep.Dropped) != 0 {
				t.Errorf("re-sync of an unchanged platform: got %+v (%v), want nothing added, changed or dropped", rep, err)
			}
			if got := e.versions(t); !slices.Equal(got, versions) {
				t.Errorf("versions after the re-sync: got %v, want %v", got, versions)
			}

			if kind == "postgres" {
				f.exec(t, "COMMENT ON COLUMN "+q(e.schema, e.table, "Customer Name")+" IS E'"+changed+"'")
			} else {
				f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+" MODIFY `Customer Name` text COMMENT '"+changed+"'")
			}
			rep, err = e.admin.SyncPlatform(ctx, e.name)
			if err != nil || len(rep.Changed) != 1 {
				t.Fatalf("re-sync after a comment changed: got %+v (%v), want the orders table changed", rep, err)
			}
			if got := e.tableDescribed(t, "orders of 2026").Columns[1].Comment; got != "who ordered" {
				t.Errorf("column Customer Name: got comment %q, want %q", got, "who ordered")
			}
		})
	}
}

// tables returns the tables of the platform's database, in the catalog's order.
func (e *env) tables(t testing.TB) []client.Table {
	t.Helper()
	tables, err := e.admin.ListTables(context.Background(), e.database(t), client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tables.Tables
}

// tableDescribed returns the table of the platform's database whose
// description is desc.
func (e *env) tableDescribed(t testing.TB, desc string) *client.Table {
	t.Helper()
	tables := e.tables(t)
	for i, tb := range tables {
		if tb.Description == desc {
			return &tables[i]
		}
	}
	t.Fatalf("no table described %q among %+v", desc, tables)
	return nil
}

// versions returns the version of each table of the platform's database,
// in the catalog's order.
func (e *env) versions(t testing.TB) []int64 {
	t.Helper()
	var out []int64
	for _, tb := range e.tables(t) {
		out = append(out, tb.Version)
	}
	return out
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"orders", "orders"},
		{"  two  spaces  kept  ", "  two  spaces  kept  "},
		{"first line\nsecond line", "first line second line"},
		{"first line \r\n\t second line", "first line second line"},
		{"a\tb", "a b"},
		{"\n\tindented\n", "indented"},
		{" \n", ""},
		{"nul\x00del\x7fc1\u0085esc\x1b[0m", "nul del c1 esc [0m"},
		{"ünï\ncödé €", "ünï cödé €"},
		{"bad \xff\nbyte", "bad \xff byte"},
	}
	for _, tt := range tests {
		if got := platform.OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
