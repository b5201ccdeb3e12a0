package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

// TestInvitationAcceptAndGrantThroughLink shares a table with the demo's
// consumer; its admin accepts the invitation under a link name of its own
// choosing, and grants some of the table's columns to a member through the
// link. A failed grant keeps what was ticked and names the field at fault.
func TestInvitationAcceptAndGrantThroughLink(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	// The demo's own requests may have invited the consumer already.
	demoInvitations := strings.Count(cli(t, srv, "invitation", "list", "--all", "--account", "222233334444", "-o", "json"), `"share_id"`)
	cli(t, srv, "grant", "--principal", "222233334444", "--database", "sales", "--table", "orders",
		"--permissions", "SELECT,DESCRIBE", "--grantable", "SELECT,DESCRIBE")
	cli(t, srv, "grant", "--principal", "222233334444", "--database", "marketing", "--table", "campaigns",
		"--permissions", "SELECT", "--grantable", "SELECT")

	b := newBrowser(t, srv)
	b.signIn("analytics-admin", demoPassword(t, srv, "analytics-admin"), "admin-password-1")
	b.open("/shared")
	if got := b.text("p.empty"); !strings.Contains(got, "Nothing is shared") {
		t.Errorf("shared data before accepting: got %q, want the empty state", got)
	}
	b.open("/invitations")
	if got := b.count("li.invitation"); got != demoInvitations+2 {
		t.Fatalf("invitations: got %d, want the demo's %d and 2 more", got, demoInvitations)
	}
	invs := b.texts("li.invitation")
	var orders, campaigns string
	for i, s := range invs {
		switch {
		case strings.Contains(s, "sales.orders"):
			orders = b.attr("li.invitation", i, "id")
		case strings.Contains(s, "marketing.campaigns"):
			campaigns = b.attr("li.invitation", i, "id")
		}
		if !strings.Contains(s, "pending") {
			t.Errorf("invitation %q: want it pending", s)
		}
	}
	if orders == "" || campaigns == "" {
		t.Fatalf("invitations: got %q, want sales.orders and marketing.campaigns", invs)
	}

	// A link name that breaks the name rules is refused beside its field, as typed.
	b.fill("#"+orders+" input[name=link_name]", "Bad Name!")
	if got := b.submit("#" + orders + ` form[action$="/accept"] button`); got != http.StatusBadRequest {
		t.Errorf("bad link name: got %d, want 400", got)
	}
	if got := b.text("#" + orders + " .field-error"); got == "" {
		t.Errorf("bad link name: want an error beside the field")
	}
	if got := b.value("#" + orders + " input[name=link_name]"); got != "Bad Name!" {
		t.Errorf("bad link name: got %q, want what was typed kept", got)
	}

	b.fill("#"+orders+" input[name=link_name]", "shop_orders")
	b.submit("#" + orders + ` form[action$="/accept"] button`)
	if got := b.path(); got != "/shared?notice=accepted" {
		t.Fatalf("after accepting: got %s, want /shared", got)
	}
	if got := b.text("#links"); !strings.Contains(got, "shop_orders") || !strings.Contains(got, "customer_email") {
		t.Errorf("links: got %q, want shop_orders showing the orders table and its columns", got)
	}

	b.open("/invitations")
	b.submit("#" + campaigns + ` form[action$="/reject"] button`)
	if got := b.text("#" + campaigns); !strings.Contains(got, "rejected") {
		t.Errorf("rejected invitation: got %q, want it rejected", got)
	}

	b.open("/shared/shop_orders")
	form := `form.grant-form`
	b.click(form + ` input[name=columns][value=order_id]`)
	b.click(form + ` input[name=columns][value=amount]`)
	if got := b.submit(form + " button"); got != http.StatusBadRequest {
		t.Errorf("grant without a user: got %d, want 400", got)
	}
	if got := b.text(form + " .field-error"); !strings.Contains(got, "choose a user") {
		t.Errorf("grant without a user: got %q, want the user field named", got)
	}
	if !b.checked(form+` input[name=columns][value=amount]`) || b.checked(form+` input[name=columns][value=status]`) {
		t.Errorf("grant without a user: want the ticked columns kept, and only them")
	}
	b.fill(form+" input[name=user]", "analytics-member")
	b.submit(form + " button")
	if got := b.path(); got != "/shared/shop_orders?notice=granted" {
		t.Fatalf("after granting: got %s", got)
	}
	if got := b.text("#grants"); !strings.Contains(got, "222233334444/analytics-member") || !strings.Contains(got, "order_id") || !strings.Contains(got, "amount") {
		t.Errorf("grants: got %q, want the member's grant on order_id and amount", got)
	}

	out := cli(t, srv, "authorize", "--principal", "222233334444/analytics-member", "--action", "SELECT",
		"--database", "sales", "--table", "orders", "--columns", "order_id,amount")
	if !strings.HasPrefix(out, "ALLOWED") {
		t.Errorf("authorize the member on the granted columns: got %q, want ALLOWED", out)
	}
	// A denial may end the command with a non-zero status; its answer is what counts.
	out, _ = srv.CLI(t, "authorize", "--principal", "222233334444/analytics-member", "--action", "SELECT",
		"--database", "sales", "--table", "orders", "--columns", "customer_email")
	if !strings.HasPrefix(out, "DENIED") {
		t.Errorf("authorize the member on another column: got %q, want DENIED", out)
	}
}
