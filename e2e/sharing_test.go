package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// sharingUser creates a user with the CLI and signs it in, returning a CLI
// option carrying its token.
func sharingUser(t *testing.T, srv *testbin.Server, account, username, role string) testbin.CLIOptions {
	t.Helper()
	var created struct {
		TemporaryPassword string `json:"temporary_password"`
	}
	decode(t, cli(t, srv, "user", "create", "--account", account, "--username", username, "--role", role, "-o", "json"), &created)
	out, err := srv.CLIWith(t, testbin.CLIOptions{NoToken: true, Stdin: strings.NewReader(created.TemporaryPassword + "\n" + username + "-new-password\n")},
		"login", "--username", username, "--password-stdin")
	if err != nil {
		t.Fatalf("login as %s: %v", username, err)
	}
	token, ok := loginToken(out)
	if !ok {
		t.Fatalf("login output: got %q", out)
	}
	return testbin.CLIOptions{Token: token}
}

// TestReferenceStory is the reference design's story through the real
// binary: a producer and a consumer outside the organization; a database
// flagged pii_flag and one not; both requested; one shared at once, the
// other pending until the producer's approver approves; the consumer's
// admin accepts the invitation and grants a user through the resource link;
// authorize says yes for that user and no for another.
func TestReferenceStory(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{})
	cli(t, srv, "account", "onboard", "--id", "111122223333", "--name", "Sales")
	cli(t, srv, "account", "onboard", "--id", "222233334444", "--name", "Analytics", "--organization", "o-elsewhere")
	approver := sharingUser(t, srv, "111122223333", "sales-approver", "approver")
	consumerAdmin := sharingUser(t, srv, "222233334444", "analytics-admin", "admin")
	analyst := sharingUser(t, srv, "222233334444", "ann", "member")
	sharingUser(t, srv, "222233334444", "bob", "member")

	cli(t, srv, "catalog", "create-database", "--database-input",
		`{"Name": "sales", "Parameters": {"data_owner": "111122223333", "pii_flag": "true"}}`)
	cli(t, srv, "catalog", "create-table", "--database-name", "sales", "--table-input",
		`{"Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}]}}`)
	cli(t, srv, "catalog", "create-database", "--database-input",
		`{"Name": "marketing", "Parameters": {"data_owner": "111122223333"}}`)
	cli(t, srv, "catalog", "create-table", "--database-name", "marketing", "--table-input",
		`{"Name": "campaigns", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`)

	type request struct {
		ID     int64
		Status string
	}
	var open, pending request
	out, err := srv.CLIWith(t, analyst, "request", "create", "--database", "marketing", "--table", "campaigns",
		"--target-account", "222233334444", "--justification", "campaign reach", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, out, &open)
	if open.Status != "SHARED" {
		t.Errorf("marketing: got %s, want SHARED at once", open.Status)
	}
	// run again with the same --idempotency-key after a lost answer: the
	// shared request comes back, no second one is made
	var keyed [2]request
	for i := range keyed {
		out, err := srv.CLIWith(t, analyst, "request", "create", "--database", "marketing", "--table", "campaigns",
			"--target-account", "222233334444", "--justification", "campaign reach", "--idempotency-key", "reach-2026.q1", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		decode(t, out, &keyed[i])
	}
	if keyed[0].ID == open.ID || keyed[1].ID != keyed[0].ID || keyed[1].Status != "SHARED" {
		t.Errorf("--idempotency-key twice: got %+v and %+v; want one new SHARED request, returned the second time", keyed[0], keyed[1])
	}
	out, err = srv.CLIWith(t, analyst, "request", "create", "--database", "sales", "--table", "orders",
		"--target-account", "222233334444", "--justification", "revenue per region", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, out, &pending)
	if pending.Status != "PENDING_APPROVAL" {
		t.Fatalf("sales: got %s, want PENDING_APPROVAL", pending.Status)
	}
	id := strconv.FormatInt(pending.ID, 10)
	if out, err := srv.CLIWith(t, approver, "approval", "list"); err != nil || !strings.Contains(out, "sales.orders") {
		t.Errorf("approval list: got %q, %v; want sales.orders", out, err)
	}
	if _, err := srv.CLIWith(t, analyst, "approval", "approve", "--id", id); err == nil {
		t.Error("the requester approved its own request")
	}
	out, err = srv.CLIWith(t, approver, "approval", "approve", "--id", id, "--comment", "for the report", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var approved request
	decode(t, out, &approved)
	if approved.Status != "SHARED" {
		t.Fatalf("after approval: got %s, want SHARED", approved.Status)
	}

	// outside the organization, both shares wait for the consumer's admin
	var invitations []struct {
		ID       int64
		Database string
	}
	out, err = srv.CLIWith(t, consumerAdmin, "invitation", "list", "--status", "pending", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, out, &invitations)
	accepted := false
	for _, inv := range invitations {
		if inv.Database == "sales" {
			if _, err := srv.CLIWith(t, consumerAdmin, "invitation", "accept", "--id", strconv.FormatInt(inv.ID, 10)); err != nil {
				t.Fatal(err)
			}
			accepted = true
		}
	}
	if !accepted {
		t.Fatalf("invitations: got %+v, want one for sales", invitations)
	}
	// the consumer's admin grants a user through the resource link (named after the database)
	if _, err := srv.CLIWith(t, consumerAdmin, "grant", "--principal", "222233334444/ann", "--database", "sales",
		"--table", "orders", "--permissions", "SELECT"); err != nil {
		t.Fatal(err)
	}
	// the answer is on stdout; a denial may also exit with status 1
	authorize := func(principal string) string {
		out, _ := srv.CLI(t, "authorize", "--principal", principal, "--action", "SELECT", "--database", "sales", "--table", "orders")
		return out
	}
	if out := authorize("222233334444/ann"); !strings.HasPrefix(out, "ALLOWED") {
		t.Errorf("authorize ann: got %q, want ALLOWED", out)
	}
	if out := authorize("222233334444/bob"); !strings.HasPrefix(out, "DENIED") {
		t.Errorf("authorize bob: got %q, want DENIED", out)
	}
	if out, err := srv.CLIWith(t, analyst, "request", "get", "--id", id); err != nil || !strings.Contains(out, "approved by 111122223333/sales-approver") {
		t.Errorf("request get: got %q, %v; want the approval shown", out, err)
	}

	// revoking ends the access, with what the consumer granted from it
	if _, err := srv.CLIWith(t, consumerAdmin, "request", "revoke", "--id", id); err != nil {
		t.Fatal(err)
	}
	if out := authorize("222233334444/ann"); !strings.HasPrefix(out, "DENIED") {
		t.Errorf("authorize ann after revoke: got %q, want DENIED", out)
	}
}

// TestDemoRequests: serve --demo shows the workflow's outcomes at once.
func TestDemoRequests(t *testing.T) {
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	var list struct {
		Requests []struct {
			Database, Table, Status, Cause string
		}
	}
	decode(t, cli(t, srv, "request", "list", "-o", "json"), &list)
	got := map[string]string{}
	for _, r := range list.Requests {
		got[r.Database+"."+r.Table] = r.Status
		if r.Status == "DENIED" && r.Cause == "" {
			t.Errorf("the denied request has no comment as its cause")
		}
	}
	want := map[string]string{"marketing.*": "SHARED", "sales.orders": "PENDING_APPROVAL", "sales.customers": "DENIED"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("demo request %s: got %q, want %s (all: %v)", k, got[k], v, got)
		}
	}
	approver := testbin.CLIOptions{Token: demoLogin(t, srv, "111122223333", "sales-approver")}
	if out, err := srv.CLIWith(t, approver, "approval", "list"); err != nil || !strings.Contains(out, "sales.orders") {
		t.Errorf("the Sales approver's list: got %q, %v; want sales.orders", out, err)
	}

	// the README's walk through the reference story, with its ids
	member := testbin.CLIOptions{Token: demoLogin(t, srv, "222233334444", "analytics-member")}
	admin := testbin.CLIOptions{Token: demoLogin(t, srv, "222233334444", "analytics-admin")}
	steps := []struct {
		as   testbin.CLIOptions
		args []string
		want string
	}{
		{member, []string{"request", "create", "--database", "sales", "--table", "orders", "--target-account", "222233334444",
			"--justification", "revenue per region for the quarterly report", "--duration", "720h"}, "PENDING_APPROVAL"},
		{member, []string{"request", "list", "--mine"}, "PENDING_APPROVAL"},
		{approver, []string{"approval", "approve", "--id", "2", "--comment", "for the report only"}, "SHARED"},
		{admin, []string{"invitation", "accept", "--id", "2"}, "accepted"},
		{admin, []string{"grant", "--principal", "222233334444/analytics-member", "--database", "sales", "--table", "orders", "--permissions", "SELECT"}, "SELECT"},
		{admin, []string{"authorize", "--principal", "222233334444/analytics-member", "--action", "SELECT", "--database", "sales", "--table", "orders"}, "ALLOWED"},
	}
	for _, st := range steps {
		out, err := srv.CLIWith(t, st.as, st.args...)
		if err != nil || !strings.Contains(out, st.want) {
			t.Fatalf("%v: got %q, %v; want %s", st.args, out, err, st.want)
		}
	}
}
