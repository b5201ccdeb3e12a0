package browser

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestRequestOutcomes: a table with nothing flagged is shared at once; a
// denial's comment reaches the requester; an open request is cancelled;
// a mesh admin who requested for another account cannot approve it.
func TestRequestOutcomes(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	b := newBrowser(t, srv)
	b.signIn("analytics-member", demoPassword(t, srv, "analytics-member"), "member-password-1")

	b.open("/catalog/marketing/campaigns")
	if got := b.text("#request-access"); !strings.Contains(got, "shared at once") {
		t.Errorf("request form of a table with nothing flagged: got %q, want it to say it is shared at once", got)
	}
	b.fill("#justification", "reach per channel")
	b.submit(`#request-access button[type=submit]`)
	shared := b.requestID()
	if got := b.text("h1"); !strings.Contains(got, "SHARED") {
		t.Errorf("table with nothing flagged: got %q, want SHARED at once", got)
	}
	if !b.graphHas(`path.edge.taken[data-from="DoesItHavePIIColumns"][data-to="NoPIIShareCatalogItem"]`) ||
		b.graphHas(`g.node.visited[data-state="SendAndWaitPIIColumnApproval"]`) {
		t.Errorf("graph of a request shared at once: want the default branch taken and no approval")
	}
	if got := b.count(`form[action="/requests/` + shared + `/revoke"]`); got != 0 {
		t.Errorf("member on a shared request: got %d revoke forms, want none", got)
	}

	b.open("/catalog/sales/customers")
	b.fill("#justification", "customer segments for a churn model, again")
	b.submit(`#request-access button[type=submit]`)
	denied := b.requestID()
	b.open("/catalog/sales")
	b.fill("#justification", "all of sales")
	b.submit(`#request-access button[type=submit]`)
	cancelled := b.requestID()
	b.submit(`form[action="/requests/` + cancelled + `/cancel"] button`)
	if got := b.text("h1"); !strings.Contains(got, "CANCELLED") {
		t.Errorf("cancelled request: got %q, want CANCELLED", got)
	}
	if !b.graphHas(`g.node.failed[data-state="SendAndWaitPIIColumnApproval"]`) {
		t.Errorf("cancelled request's graph: want the approval state marked where it stopped")
	}
	if got, _ := b.postAs("/requests/"+cancelled+"/cancel", url.Values{}); got != http.StatusConflict {
		t.Errorf("cancel twice: got %d, want 409", got)
	}
	b.signOut()

	b.signIn("sales-approver", demoPassword(t, srv, "sales-approver"), "approver-password-1")
	b.open("/approvals")
	if got := b.count("#approval-" + cancelled); got != 0 {
		t.Errorf("approvals: got the cancelled request listed as pending")
	}
	card := "#approval-" + denied
	// The field holds at most 2000 characters; a crafted form sends more.
	get(b, "overlong comment", chromedp.Evaluate[bool](fmt.Sprintf("(e => { e.value = 'x'.repeat(2001); return true })(document.querySelector(%q))", card+" textarea[name=comment]")))
	if got := b.submit(card + " button.deny"); got != http.StatusBadRequest {
		t.Errorf("deny with an overlong comment: got %d, want 400", got)
	}
	if got := b.text(card + " .field-error"); !strings.Contains(got, "limit") {
		t.Errorf("overlong comment: got %q, want the comment field named", got)
	}
	b.fill(card+" textarea[name=comment]", "aggregated segments only, please")
	b.submit(card + " button.deny")
	if got := b.text("h1"); !strings.Contains(got, "DENIED") {
		t.Errorf("denied request: got %q, want DENIED", got)
	}
	b.signOut()

	b.signIn("analytics-member", "member-password-1", "")
	b.open("/requests/" + denied)
	if got := b.text("#decision-comment"); got != "aggregated segments only, please" {
		t.Errorf("denial seen by the requester: got %q, want the approver's comment", got)
	}
	if !b.graphHas(`g.node.failed[data-state="AccessDenied"]`) {
		t.Errorf("denied request's graph: want AccessDenied marked as the end")
	}
	b.open("/requests?status=DENIED")
	if got := b.text("#requests"); !strings.Contains(got, "#"+denied) || strings.Contains(got, "#"+shared) {
		t.Errorf("requests filtered by DENIED: got %q, want the denied one only", got)
	}
	b.signOut()

	// A mesh admin may request for another account, but not decide it.
	b.signIn("admin", adminPassword(t, srv), "admin-password-1")
	b.open("/catalog/sales")
	b.fill("#target_account", "222233334444")
	b.fill("#justification", "set up for the analytics team")
	b.submit(`#request-access button[type=submit]`)
	own := b.requestID()
	b.open("/approvals")
	if got := b.text("#approval-" + own); !strings.Contains(got, "You made this request") {
		t.Errorf("own request on the approvals page: got %q, want it said", got)
	}
	if got := b.count("#approval-" + own + " form"); got != 0 {
		t.Errorf("own request: got %d decision forms, want none", got)
	}
	if got, _ := b.postAs("/approvals/"+own+"/approve", url.Values{}); got != http.StatusForbidden {
		t.Errorf("approve one's own request: got %d, want 403", got)
	}
	// The consumer's member sees neither that request nor the producer's approvals.
	b.signOut()
	b.signIn("analytics-member", "member-password-1", "")
	if got := b.open("/requests/" + own); got != http.StatusForbidden {
		t.Errorf("member opens another user's request: got %d, want 403", got)
	}
	// The approval of another account's product is not the consumer admin's.
	b.signOut()
	b.signIn("analytics-admin", demoPassword(t, srv, "analytics-admin"), "admin-password-1")
	b.open("/approvals")
	if got := b.count("li.approval"); got != 0 {
		t.Errorf("consumer admin's approvals: got %d, want none of the producer's", got)
	}
	if got, _ := b.postAs("/approvals/"+own+"/approve", url.Values{}); got != http.StatusForbidden {
		t.Errorf("consumer admin approves the producer's approval: got %d, want 403", got)
	}
}
