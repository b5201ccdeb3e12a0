package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// The seed's inputs, as its walkthrough writes them.
const (
	salesDatabaseInput = `{"Name": "sales", "Parameters": {"data_owner": "111122223333", "data_owner_name": "Sales", "pii_flag": "true"}}`
	ordersTableInput   = `{
  "Name": "orders",
  "Description": "Orders placed in the web shop",
  "TableType": "EXTERNAL_TABLE",
  "Parameters": {"data_owner": "111122223333", "classification": "parquet"},
  "StorageDescriptor": {
    "Location": "s3://sales-data/orders/",
    "Columns": [
      {"Name": "order_id", "Type": "bigint"},
      {"Name": "customer_email", "Type": "string", "Comment": "who ordered", "Parameters": {"pii_flag": "true"}},
      {"Name": "amount", "Type": "decimal(10,2)", "Parameters": {"pii_flag": "false"}}
    ]
  },
  "PartitionKeys": [{"Name": "order_date", "Type": "date"}]
}`
)

// glueDatabase is Glue's GetDatabase response.
type glueDatabase struct {
	Database struct {
		Name       string
		CatalogId  string
		CreateTime any
		Parameters map[string]string
	}
}

// glueTable is Glue's GetTable response.
type glueTable struct {
	Table struct {
		Name              string
		DatabaseName      string
		Parameters        map[string]string
		StorageDescriptor struct {
			Columns []struct {
				Name, Type string
				Parameters map[string]string
			}
		}
	}
}

// TestSeedCatalogWalkthrough runs the reference design's catalog set-up
// through the CLI against the real binary, on every available store:
// onboard the producer, create its database, add the workflow's parameters
// with update-database --database-input file://db.json, add a table whose
// columns carry pii_flag, and read them back in Glue's shapes.
func TestSeedCatalogWalkthrough(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := testbin.StartServer(t, testbin.Options{Postgres: kind == "postgres"})

			cli(t, srv, "account", "onboard", "--id", "111122223333", "--name", "Sales")
			cli(t, srv, "catalog", "create-database", "--database-input", `{"Name": "sales"}`)

			out := cli(t, srv, "catalog", "get-database", "--name", "sales")
			if !strings.Contains(out, "sales") {
				t.Errorf("get-database: got %q, want it to show sales", out)
			}

			writeFile(t, srv.WorkDir, "db.json", salesDatabaseInput)
			cli(t, srv, "catalog", "update-database", "--name", "sales", "--database-input", "file://db.json")
			writeFile(t, srv.WorkDir, "t.json", ordersTableInput)
			cli(t, srv, "catalog", "create-table", "--database-name", "sales", "--table-input", "file://t.json")

			out = cli(t, srv, "catalog", "get-database", "--name", "sales")
			for _, want := range []string{"data_owner", "111122223333", "pii_flag", "true"} {
				if !strings.Contains(out, want) {
					t.Errorf("get-database table output: got %q, want it to contain %q", out, want)
				}
			}

			var db glueDatabase
			decode(t, cli(t, srv, "catalog", "get-database", "--name", "sales", "-o", "json"), &db)
			if db.Database.Name != "sales" || db.Database.CatalogId != "central" || db.Database.CreateTime == nil {
				t.Errorf("get-database -o json: got name %q catalog %q create time %v, want sales in catalog central with a create time",
					db.Database.Name, db.Database.CatalogId, db.Database.CreateTime)
			}
			wantParams := map[string]string{"data_owner": "111122223333", "data_owner_name": "Sales", "pii_flag": "true"}
			for k, want := range wantParams {
				if got := db.Database.Parameters[k]; got != want {
					t.Errorf("database parameter %s: got %q, want %q", k, got, want)
				}
			}

			var tbl glueTable
			decode(t, cli(t, srv, "catalog", "get-table", "--database-name", "sales", "--name", "orders", "-o", "json"), &tbl)
			if tbl.Table.Name != "orders" || tbl.Table.DatabaseName != "sales" {
				t.Errorf("get-table: got %s.%s, want sales.orders", tbl.Table.DatabaseName, tbl.Table.Name)
			}
			pii := map[string]string{}
			for _, c := range tbl.Table.StorageDescriptor.Columns {
				pii[c.Name] = c.Parameters["pii_flag"]
			}
			wantPII := map[string]string{"order_id": "", "customer_email": "true", "amount": "false"}
			for col, want := range wantPII {
				if got, ok := pii[col]; !ok || got != want {
					t.Errorf("column %s pii_flag: got %q (present %v), want %q", col, got, ok, want)
				}
			}

			out = cli(t, srv, "catalog", "search", "--query", "customer_email")
			if !strings.Contains(out, "orders") {
				t.Errorf("search customer_email: got %q, want it to find orders", out)
			}

			srv.Stop(t)
		})
	}
}

// cli runs a CLI command that must succeed and returns its output.
func cli(t *testing.T, srv *testbin.Server, args ...string) string {
	t.Helper()
	out, err := srv.CLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loginToken returns the token login printed: its first line is
// export MESHGATE_TOKEN=…; a second exports MESHGATE_ENDPOINT when the server
// is not at the default endpoint.
func loginToken(out string) (string, bool) {
	first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return strings.CutPrefix(first, "export MESHGATE_TOKEN=")
}

func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
}
