package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestShareOnDemo shares a table of the demo's producer with its consumer
// through the CLI: the grant waits as an invitation until the consumer's
// admin accepts it, which creates a resource link and allows the access;
// revoking takes it away again.
func TestShareOnDemo(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	consumer := testbin.CLIOptions{Token: demoLogin(t, srv, "222233334444", "analytics-admin")}
	authorize := []string{"authorize", "--principal", "222233334444", "--action", "SELECT", "--database", "sales", "--table", "orders"}

	cli(t, srv, "grant", "--principal", "222233334444", "--database", "sales", "--table", "orders",
		"--permissions", "SELECT,DESCRIBE", "--grantable", "SELECT")
	wantDenied(t, srv, "authorize before acceptance", authorize...)

	var all, invitations []struct {
		ID       int64
		Status   string
		Database string
	}
	out, err := srv.CLIWith(t, consumer, "invitation", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, out, &all)
	// the demo's own requests invite to other databases
	for _, inv := range all {
		if inv.Database == "sales" {
			invitations = append(invitations, inv)
		}
	}
	if len(invitations) != 1 || invitations[0].Status != "pending" {
		t.Fatalf("invitations of sales: got %+v, want one pending", invitations)
	}
	if _, err := srv.CLIWith(t, consumer, "invitation", "accept", "--id", strconv.FormatInt(invitations[0].ID, 10)); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if out := cli(t, srv, authorize...); !strings.HasPrefix(out, "ALLOWED") {
		t.Errorf("authorize after acceptance: got %q, want ALLOWED", out)
	}
	out, err = srv.CLIWith(t, consumer, "link", "list")
	if err != nil || !strings.Contains(out, "sales") {
		t.Errorf("link list: got %q, %v; want a link to sales", out, err)
	}

	cli(t, srv, "revoke", "--principal", "222233334444", "--database", "sales", "--table", "orders", "--permissions", "SELECT,DESCRIBE")
	wantDenied(t, srv, "authorize after revoke", authorize...)
}

// wantDenied runs an authorize command that must answer no: DENIED, exit status 1.
func wantDenied(t *testing.T, srv *testbin.Server, what string, args ...string) {
	t.Helper()
	out, err := srv.CLI(t, args...)
	var ee *testbin.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.HasPrefix(out, "DENIED") {
		t.Errorf("%s: got %q, %v; want DENIED with exit status 1", what, out, err)
	}
}

// demoLogin signs a demo user in with its password from demo-users.txt,
// choosing a new one, and returns the API token it gets.
func demoLogin(t *testing.T, srv *testbin.Server, account, username string) string {
	t.Helper()
	users, err := os.ReadFile(filepath.Join(srv.DataDir, "demo-users.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + account + `\s+` + regexp.QuoteMeta(username) + `\s+\S+\s+(\S+)$`).FindStringSubmatch(string(users))
	if m == nil {
		t.Fatalf("demo-users.txt: got %q, want a line for %s/%s", users, account, username)
	}
	out, err := srv.CLIWith(t, testbin.CLIOptions{NoToken: true, Stdin: strings.NewReader(m[1] + "\n" + username + "-new-password\n")},
		"login", "--username", username, "--password-stdin")
	if err != nil {
		t.Fatalf("login as %s: %v", username, err)
	}
	token, ok := loginToken(out)
	if !ok {
		t.Fatalf("login output: got %q, want export MESHGATE_TOKEN=...", out)
	}
	return token
}
