package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestRequestCreateRefusesNegativeDuration: a negative --duration is refused
// by the server (400 naming duration), not dropped, which made a request
// whose access never ends.
func TestRequestCreateRefusesNegativeDuration(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	out, code := m.run(t, m.alice, "request", "create", "--database", "sales", "--table", "orders",
		"--justification", "a typo", "--duration=-720h")
	if code != 1 || !strings.Contains(out, "duration") {
		t.Errorf("got exit %d:\n%s\nwant exit 1 and an error naming duration", code, out)
	}
	out, code = m.run(t, m.alice, "request", "list", "--mine")
	if code != 0 || strings.Contains(out, "sales.orders") {
		t.Errorf("request list --mine: got exit %d:\n%s\nwant no request", code, out)
	}
}

// TestRequestListShowsPersonalData: request list shows, as approval list
// does, the personal data each request found flagged: the database's own
// pii_flag as *, a table's as table.*, a column's as table.column.
func TestRequestListShowsPersonalData(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	ctx := context.Background()
	if _, err := m.adminClient.CreateTableGlue(ctx, "sales", json.RawMessage(`{"Name": "refunds", "Parameters": {"pii_flag": "true"},
		"StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`)); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"orders", "refunds"} {
		if out, code := m.run(t, m.alice, "request", "create", "--database", "sales", "--table", tbl, "--justification", "reports"); code != 0 {
			t.Fatalf("request create %s: exit %d:\n%s", tbl, code, out)
		}
	}
	out, code := m.run(t, m.alice, "request", "list", "--mine")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !regexp.MustCompile(`PERMISSIONS +PERSONAL DATA +STATUS`).MatchString(lines[0]) {
		t.Fatalf("request list --mine: got exit %d:\n%s\nwant a PERSONAL DATA column and two requests", code, out)
	}
	for _, want := range []string{"sales.refunds .* refunds.\\*  +PENDING_APPROVAL", "sales.orders .* orders.email  +PENDING_APPROVAL"} {
		if !slices.ContainsFunc(lines[1:], regexp.MustCompile(want).MatchString) {
			t.Errorf("request list --mine: got\n%s\nwant a line matching %q", out, want)
		}
	}
	if _, err := m.adminClient.CreateDatabaseGlue(ctx, json.RawMessage(`{"Name": "hr", "Parameters": {"data_owner": "111122223333", "pii_flag": "true"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.adminClient.CreateTableGlue(ctx, "hr", json.RawMessage(`{"Name": "people", "StorageDescriptor": {"Columns": [
		{"Name": "id", "Type": "bigint"}, {"Name": "salary", "Type": "double", "Parameters": {"pii_flag": "true"}}]}}`)); err != nil {
		t.Fatal(err)
	}
	out, code = m.run(t, m.alice, "request", "create", "--database", "hr", "--justification", "headcount")
	if code != 0 || !regexp.MustCompile(`hr\.\* .* \*,people\.salary  +PENDING_APPROVAL`).MatchString(out) {
		t.Errorf("request create for the database hr: got exit %d:\n%s\nwant personal data *,people.salary", code, out)
	}
}

// TestListsPage: request list and approval list show --limit of the newest
// and say how to ask for the next page, which --before gives.
func TestListsPage(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	ctx := context.Background()
	for _, tbl := range []string{"a", "b"} {
		if _, err := m.adminClient.CreateTableGlue(ctx, "sales", json.RawMessage(`{"Name": "`+tbl+`", "Parameters": {"pii_flag": "true"},
			"StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}}`)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for _, tbl := range []string{"orders", "a", "b"} {
		r, _, err := m.consumerClient.CreateRequest(ctx, client.RequestInput{Database: "sales", Table: tbl, TargetAccount: "222233334444",
			Justification: "reports"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	for _, c := range []struct {
		token string
		list  []string
	}{
		{m.consumer, []string{"request", "list"}},
		{m.producer, []string{"approval", "list"}},
	} {
		first, code := m.run(t, c.token, append(c.list, "--limit", "2")...)
		hint := fmt.Sprintf("may follow: --before %d", ids[1])
		if code != 0 || !strings.Contains(first, "sales.b") || !strings.Contains(first, "sales.a") ||
			strings.Contains(first, "sales.orders") || !strings.Contains(first, hint) {
			t.Errorf("%q --limit 2: got exit %d:\n%s\nwant sales.b and sales.a, and %q", c.list, code, first, hint)
		}
		next, code := m.run(t, c.token, append(c.list, "--limit", "2", "--before", strconv.FormatInt(ids[1], 10))...)
		if code != 0 || !strings.Contains(next, "sales.orders") || strings.Contains(next, "sales.a") || strings.Contains(next, "may follow") {
			t.Errorf("%q the next page: got exit %d:\n%s\nwant sales.orders alone, and no more", c.list, code, next)
		}
	}
}

// TestRequestCreateOthersOpenRequest: asking for what another member of
// the account has an open request for prints that request, saying it is
// another user's, with its requester's account alone (the server leaves
// out who made it), where it printed "account/" as the requester.
func TestRequestCreateOthersOpenRequest(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	ctx := context.Background()
	if out, code := m.run(t, m.alice, "request", "create", "--database", "sales", "--table", "orders", "--justification", "alice's reasons"); code != 0 {
		t.Fatalf("alice's request: exit %d:\n%s", code, out)
	}
	u, err := m.adminClient.CreateUser(ctx, "222233334444", client.UserInput{Username: "bob", Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.adminClient.IssueToken(ctx, u.User.ID, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	out, code := m.run(t, tok.Secret, "request", "create", "--database", "sales", "--table", "orders", "--justification", "bob's reasons")
	if code != 0 || !strings.Contains(out, "open already, made by another user of your account") ||
		strings.Contains(out, "222233334444/ ") || !regexp.MustCompile(`sales\.orders +222233334444 +222233334444 +`).MatchString(out) {
		t.Errorf("bob asks for what alice asked: got exit %d:\n%s\nwant alice's request, said to be another user's, its requester the account alone", code, out)
	}
}
