package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestServeDemo checks that `serve --demo` on a fresh store seeds the demo
// mesh the README describes, and that a restart leaves it alone.
func TestServeDemo(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})

	file := filepath.Join(srv.DataDir, "demo-users.txt")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("demo users file: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("demo-users.txt mode: got %v, want -rw-------", got)
	}
	users, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sales-admin", "sales-approver", "analytics-admin", "analytics-member"} {
		if !strings.Contains(string(users), want) {
			t.Errorf("demo-users.txt: got %q, want it to list %s", users, want)
		}
	}

	out := cli(t, srv, "account", "list")
	for _, want := range []string{"111122223333", "Sales", "222233334444", "Analytics"} {
		if !strings.Contains(out, want) {
			t.Errorf("account list: got %q, want it to contain %q", out, want)
		}
	}

	out = cli(t, srv, "catalog", "search", "--query", "orders")
	if !strings.Contains(out, "orders") {
		t.Errorf("catalog search orders: got %q, want it to find the orders table", out)
	}

	tests := []struct {
		database string
		wantPII  string
	}{
		{database: "sales", wantPII: "true"},
		{database: "marketing", wantPII: "false"},
	}
	for _, tt := range tests {
		var db glueDatabase
		decode(t, cli(t, srv, "catalog", "get-database", "--name", tt.database, "-o", "json"), &db)
		if got := db.Database.Parameters["pii_flag"]; got != tt.wantPII {
			t.Errorf("%s pii_flag: got %q, want %q", tt.database, got, tt.wantPII)
		}
		if got := db.Database.Parameters["data_owner"]; got != "111122223333" {
			t.Errorf("%s data_owner: got %q, want 111122223333", tt.database, got)
		}
	}

	var orders glueTable
	decode(t, cli(t, srv, "catalog", "get-table", "--database-name", "sales", "--name", "orders", "-o", "json"), &orders)
	var piiCols []string
	for _, c := range orders.Table.StorageDescriptor.Columns {
		if c.Parameters["pii_flag"] == "true" {
			piiCols = append(piiCols, c.Name)
		}
	}
	if len(piiCols) != 1 || piiCols[0] != "customer_email" {
		t.Errorf("orders pii columns: got %v, want [customer_email]", piiCols)
	}

	// A demo user signs in with the password from demo-users.txt, running
	// the command the start log gives, and reads the catalog with the token
	// it gets.
	token := signInAsLogged(t, srv, users)
	out, err = srv.CLIWith(t, testbin.CLIOptions{Token: token}, "catalog", "get-database", "--name", "sales")
	if err != nil || !strings.Contains(out, "pii_flag") {
		t.Errorf("get-database as sales-admin: got %q, %v; want the sales database", out, err)
	}

	// A restarted demo server keeps its store as it is and does not reseed.
	srv.Restart(t)
	after, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(users) {
		t.Errorf("demo-users.txt changed on restart: got %q, want %q", after, users)
	}
	if !strings.Contains(srv.Logs(), "seeded only on a fresh store") {
		t.Errorf("logs after restart: got %q, want a note that the demo is not reseeded", srv.Logs())
	}
}

// TestServeDemoPostgres checks that the demo seeds a PostgreSQL store too;
// there the passwords are only logged, as there is no data directory of ours.
func TestServeDemoPostgres(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{Postgres: true, Args: []string{"--demo"}})
	var db glueDatabase
	decode(t, cli(t, srv, "catalog", "get-database", "--name", "sales", "-o", "json"), &db)
	if got := db.Database.Parameters["pii_flag"]; got != "true" {
		t.Errorf("sales pii_flag: got %q, want true", got)
	}
	if !strings.Contains(srv.Logs(), "analytics-member") {
		t.Errorf("logs: got %q, want the demo users with their temporary passwords", srv.Logs())
	}
	if _, err := os.Stat(filepath.Join(srv.DataDir, "demo-users.txt")); !os.IsNotExist(err) {
		t.Errorf("demo-users.txt on PostgreSQL: got %v, want it not written", err)
	}
}

// signInAsLogged runs the sign-in command the demo server logged, as a
// newcomer would paste it: it must name this binary as it was started and the
// server's real address, and sign in sales-admin with its demo password
// (taken from demo-users.txt, then changed). It returns the API token.
func signInAsLogged(t *testing.T, srv *testbin.Server, users []byte) string {
	t.Helper()
	var hint string
	for _, line := range strings.Split(srv.Logs(), "\n") {
		var entry struct{ Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && strings.HasPrefix(entry.Msg, "sign in with: ") {
			hint = strings.TrimPrefix(entry.Msg, "sign in with: ")
		}
	}
	want := testbin.Build(t) + " login --endpoint " + srv.URL + " --username sales-admin"
	if hint != want {
		t.Fatalf("logged sign-in command: got %q, want %q", hint, want)
	}
	m := regexp.MustCompile(`(?m)^111122223333\s+sales-admin\s+\S+\s+(\S+)$`).FindStringSubmatch(string(users))
	if m == nil {
		t.Fatalf("demo-users.txt: got %q, want a line for sales-admin", users)
	}
	args := append(strings.Fields(hint)[1:], "--password-stdin")
	res := testbin.Run(t, testbin.RunOptions{Stdin: strings.NewReader(m[1] + "\nsales-admin-new-password\n")}, args...)
	token, ok := loginToken(res.Stdout)
	if res.Code != 0 || !ok || !strings.HasSuffix(res.Stdout, "\nexport MESHGATE_ENDPOINT="+srv.URL+"\n") {
		t.Fatalf("%s: got exit %d, %q, %q; want export MESHGATE_TOKEN=... and export MESHGATE_ENDPOINT=%s", hint, res.Code, res.Stdout, res.Stderr, srv.URL)
	}
	return token
}
