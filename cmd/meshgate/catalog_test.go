package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
)

// adminAuth accepts the bearer token "admin-token" as a mesh admin.
type adminAuth struct{}

func (adminAuth) Authenticate(_ context.Context, r *http.Request) (*mesh.Actor, error) {
	if r.Header.Get("Authorization") != "Bearer admin-token" {
		return nil, nil
	}
	return &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}, nil
}

// catalogServer serves the catalog and accounts API with a test
// authenticator, account 111122223333 onboarded (the real binary's
// end-to-end test runs the same commands against `meshgate serve`).
func catalogServer(t *testing.T) string {
	t.Helper()
	st := storetest.OpenSQLite(t, nil)
	storetest.CreateAccounts(t, st, "111122223333")
	rt := web.NewRouter(adminAuth{}, nil)
	api.Register(rt, &api.Deps{Store: st, Pages: web.NewPageTokens([]byte("k")), Catalog: catalog.NewService(st, nil), CentralAccountID: "central",
		Accounts: account.NewService(st, nil, account.Central{ID: "central", Name: "Central"})})
	srv := httptest.NewServer(web.Middleware(rt, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL
}

func runCatalogCLI(t *testing.T, endpoint string, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut}
	code := m.Run(context.Background(), append([]string{"--endpoint", endpoint, "--token", "admin-token"}, args...))
	return out.String() + errOut.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

// TestSeedCatalogCommands runs the reference design's catalog commands.
func TestSeedCatalogCommands(t *testing.T) {
	ep := catalogServer(t)
	steps := []struct {
		args     []string
		wantCode int
		want     []string // substrings of the output
	}{
		{[]string{"catalog", "create-database", "--database-input", `{"Name": "sales", "Description": "Sales data"}`}, 0, []string{"created database sales"}},
		{[]string{"catalog", "update-database", "--name", "sales", "--database-input",
			writeFile(t, "db.json", `{"Name": "sales", "Parameters": {"data_owner": "111122223333", "data_owner_name": "Sales", "pii_flag": "true"}}`)},
			0, []string{"updated database sales"}},
		{[]string{"catalog", "get-database", "--name", "sales"}, 0, []string{"parameters.data_owner", "111122223333", "parameters.pii_flag", "true", "version"}},
		{[]string{"catalog", "update-database", "--name", "sales", "--version", "1", "--database-input", `{"Name": "sales"}`}, 1, []string{"conflict (409)"}},
		{[]string{"catalog", "create-table", "--database-name", "sales", "--table-input", writeFile(t, "t.json", `{"Name": "orders",
			"StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"},
				{"Name": "email", "Type": "string", "Parameters": {"pii_flag": "true"}}]}}`)}, 0, []string{"created table orders"}},
		{[]string{"catalog", "get-table", "--database-name", "sales", "--name", "orders"}, 0, []string{"email", "string", "true"}},
		{[]string{"catalog", "update-table", "--database-name", "sales", "--table-input",
			`{"Name": "orders", "Description": "one row per order", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`}, 0, []string{"updated table orders"}},
		{[]string{"catalog", "get-tables", "--database-name", "sales"}, 0, []string{"orders", "one row per order"}},
		{[]string{"catalog", "get-databases", "--pii", "true"}, 0, []string{"sales", "111122223333"}},
		{[]string{"catalog", "search", "--query", "order"}, 0, []string{"table", "orders"}},
		{[]string{"catalog", "create-table", "--database-name", "sales", "--table-input", `{"Name": "bad", "StorageDescriptor": {"Columns": [{"Name": "x"}]}}`},
			1, []string{"table_input.StorageDescriptor.Columns[0].Type"}},
		{[]string{"catalog", "create-database", "--database-input", `{"Name": "x",`}, 1, []string{"not valid JSON"}},
		{[]string{"catalog", "delete-database", "--name", "sales"}, 1, []string{"conflict (409)", "1 tables"}},
		{[]string{"catalog", "delete-table", "--database-name", "sales", "--name", "orders"}, 0, []string{"deleted table sales.orders"}},
		{[]string{"catalog", "delete-database", "--name", "sales"}, 0, []string{"deleted database sales"}},
	}
	for _, s := range steps {
		out, code := runCatalogCLI(t, ep, s.args...)
		t.Logf("meshgate %s:\n%s", strings.Join(s.args[:2], " "), out)
		if code != s.wantCode {
			t.Fatalf("%v: exit %d, want %d; output:\n%s", s.args, code, s.wantCode, out)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", s.args[:2], w, out)
			}
		}
	}
}

// TestGetDatabaseGlueJSON checks -o json prints Glue's GetDatabase response.
func TestGetDatabaseGlueJSON(t *testing.T) {
	ep := catalogServer(t)
	if out, code := runCatalogCLI(t, ep, "catalog", "create-database", "--database-input",
		`{"Name": "sales", "Parameters": {"data_owner": "111122223333", "pii_flag": "true"}}`); code != 0 {
		t.Fatalf("create: %s", out)
	}
	out, code := runCatalogCLI(t, ep, "-o", "json", "catalog", "get-database", "--name", "sales")
	if code != 0 {
		t.Fatalf("get-database: exit %d: %s", code, out)
	}
	var got struct {
		Database struct {
			Name                          string
			Parameters                    map[string]string
			CreateTime                    string
			CreateTableDefaultPermissions []any
			CatalogId                     string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	d := got.Database
	if d.Name != "sales" || d.Parameters["pii_flag"] != "true" || d.CreateTime == "" || d.CatalogId != "central" || d.CreateTableDefaultPermissions == nil {
		t.Errorf("got %+v, want Glue's GetDatabase shape", d)
	}
}

func TestLoadCatalogCommand(t *testing.T) {
	ep := catalogServer(t)
	out, code := runCatalogCLI(t, ep, "load", "catalog", "--tables", "150", "--tables-per-database", "100", "--columns", "5",
		"--concurrency", "2", "--batch", "40", "--requests", "10")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, w := range []string{"loaded 150 tables x 5 columns in 2 databases", "get-table", "search", "P99_MS"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	// Measuring again without loading reads the same tables.
	if out, code := runCatalogCLI(t, ep, "-o", "json", "load", "catalog", "--skip-load", "--tables", "150", "--tables-per-database", "100",
		"--columns", "5", "--requests", "10"); code != 0 || !strings.Contains(out, `"latencies"`) {
		t.Errorf("skip-load: exit %d:\n%s", code, out)
	}
}

// TestCatalogDeleteJSON: with -o json, delete-table and delete-database print
// JSON, as the other deletes (user delete, platform remove) do, not a
// sentence that a script cannot parse.
func TestCatalogDeleteJSON(t *testing.T) {
	ep := catalogServer(t)
	for _, args := range [][]string{
		{"catalog", "create-database", "--database-input", `{"Name": "sales"}`},
		{"catalog", "create-table", "--database-name", "sales", "--table-input", `{"Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`},
	} {
		if out, code := runCatalogCLI(t, ep, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args[:2], code, out)
		}
	}
	tests := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"catalog", "delete-table", "--database-name", "sales", "--name", "orders"}, map[string]string{"database_name": "sales", "deleted": "orders"}},
		{[]string{"catalog", "delete-database", "--name", "sales"}, map[string]string{"deleted": "sales"}},
	}
	for _, tt := range tests {
		out, code := runCatalogCLI(t, ep, append([]string{"-o", "json"}, tt.args...)...)
		var got map[string]string
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
			t.Errorf("%v: got exit %d, %q (%v); want JSON", tt.args[:2], code, out, err)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%v: got %s %q, want %q", tt.args[:2], k, got[k], v)
			}
		}
	}
}
