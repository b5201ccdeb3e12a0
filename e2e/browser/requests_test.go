package browser

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/meshgate/meshgate/internal/testbin"
)

// chromedpTextContent returns the text of an element, hidden parts included.
func chromedpTextContent(sel string) chromedp.Action[string] {
	return chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).textContent", sel))
}

// postAs posts a form by hand with a browser's session and form token, as
// a crafted page would, and returns the status and the page's text.
func (b *browser) postAs(path string, form url.Values) (int, string) {
	b.t.Helper()
	b.open("/tokens")
	form.Set("csrf", b.value(`form[action="/tokens"] input[name=csrf]`))
	req, err := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(b.sessionCookie())
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var requestPath = regexp.MustCompile(`^/requests/(\d+)\?notice=`)

// requestID returns the id of the request page the browser is on.
func (b *browser) requestID() string {
	b.t.Helper()
	m := requestPath.FindStringSubmatch(b.path())
	if m == nil {
		b.t.Fatalf("got %s, want a request's page", b.path())
	}
	return m[1]
}

// graphHas reports whether the request's graph has an element matching sel.
func (b *browser) graphHas(sel string) bool {
	b.t.Helper()
	return b.count("svg#request-graph "+sel) > 0
}

// TestReferenceStory is the data-sharing story in the browser: a consumer
// member signs in (changing the temporary password), finds a sensitive
// database by a column's name, requests it with a justification and sees
// it pending; the producer's approver sees it on the Approvals page, opens
// the approval link of the email in the built-in mailbox and confirms;
// the consumer's admin accepts the invitation and grants a user through
// the link; the request shows SHARED with its execution graph.
func TestReferenceStory(t *testing.T) {
	needBrowser(t)
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--demo"}})
	// The producer's approvers take approval requests by email: with no SMTP
	// server configured, mail lands in the built-in mailbox.
	cli(t, srv, "subscribe", "--account", "111122223333", "--protocol", "email", "--notification-endpoint", "sales-approver@example.com")
	confirm := mailboxLink(t, srv, "sales-approver@example.com", "Confirm", "Confirm subscription")
	if resp, err := http.PostForm(confirm, nil); err != nil || resp.StatusCode >= 400 {
		t.Fatalf("confirm the subscription: %v %v", resp, err)
	}
	b := newBrowser(t, srv)
	b.signIn("analytics-member", demoPassword(t, srv, "analytics-member"), "member-password-1")

	b.open("/catalog")
	b.fill("#q", "customer_email")
	b.submit(`form[role=search] button`)
	b.submit(`#search-results a[href="/catalog/sales"]`)
	if got := b.value("#target_account"); got != "222233334444" {
		t.Errorf("target account: got %q, want the member's own account preselected", got)
	}
	if got := b.text("#request-access"); !strings.Contains(got, "approvers decide") {
		t.Errorf("request form: got %q, want it to say the owner's approvers decide", got)
	}

	// A request without a justification is refused beside its field, keeping what was typed.
	b.fill("#duration", "30d")
	b.click(`#request-access input[name=permissions][value=DESCRIBE]`)
	if got := b.submit(`#request-access button[type=submit]`); got != http.StatusBadRequest {
		t.Errorf("request without justification: got %d, want 400", got)
	}
	if got := b.text("#justification-error"); !strings.Contains(got, "required") {
		t.Errorf("justification error: got %q, want it named", got)
	}
	if got := b.value("#duration"); got != "30d" {
		t.Errorf("duration after the failure: got %q, want what was typed", got)
	}
	if b.checked(`#request-access input[name=permissions][value=DESCRIBE]`) || !b.checked(`#request-access input[name=permissions][value=SELECT]`) {
		t.Errorf("permissions after the failure: want SELECT ticked and DESCRIBE not, as left")
	}
	b.click(`#request-access input[name=permissions][value=DESCRIBE]`)
	b.fill("#justification", "churn analysis for the quarterly report")
	b.submit(`#request-access button[type=submit]`)
	id := b.requestID()
	if got := b.text("h1"); !strings.Contains(got, "PENDING_APPROVAL") {
		t.Errorf("new request: got %q, want it pending approval", got)
	}
	if !b.graphHas(`g.node.current[data-state="SendAndWaitPIIColumnApproval"]`) {
		t.Errorf("pending request's graph: want the approval state current")
	}
	if !b.graphHas(`path.edge.taken[data-from="DoesItHavePIIColumns"][data-to="SendAndWaitPIIColumnApproval"]`) {
		t.Errorf("pending request's graph: want the choice's PII branch taken")
	}
	if got := b.count(`form[action="/requests/` + id + `/cancel"]`); got != 1 {
		t.Errorf("pending request: got %d cancel forms, want 1", got)
	}
	b.open("/requests")
	if got := b.text("#request-" + id); !strings.Contains(got, "PENDING_APPROVAL") || !strings.Contains(got, "database sales") {
		t.Errorf("my requests: got %q, want the sales database pending", got)
	}
	b.open("/requests?status=SHARED")
	if got := b.count("#request-" + id); got != 0 {
		t.Errorf("my requests filtered by SHARED: got the pending request listed")
	}
	// A member sees no approvals and no admin pages, and cannot decide.
	if strings.Contains(b.text("header nav"), "Approvals") {
		t.Errorf("member's navigation: want no Approvals")
	}
	for _, p := range []string{"/approvals", "/admin/notifications", "/admin/deliveries", "/admin/mailbox"} {
		if got := b.open(p); got != http.StatusForbidden {
			t.Errorf("member opens %s: got %d, want 403", p, got)
		}
	}
	if got, _ := b.postAs("/approvals/"+id+"/approve", url.Values{}); got != http.StatusForbidden {
		t.Errorf("member approves: got %d, want 403", got)
	}
	b.signOut()

	// The producer's approver sees the request on the Approvals page, and
	// decides through the approval email's link.
	b.signIn("sales-approver", demoPassword(t, srv, "sales-approver"), "approver-password-1")
	b.open("/approvals")
	card := "#approval-" + id
	if got := b.text(card + " .pii-columns"); !strings.Contains(got, "orders.customer_email") {
		t.Errorf("approval's personal data: got %q, want orders.customer_email named", got)
	}
	if got := b.text(card); !strings.Contains(got, "churn analysis") || !strings.Contains(got, "222233334444/analytics-member") {
		t.Errorf("approval: got %q, want the justification and the requester", got)
	}
	approve, err := url.Parse(mailboxLink(t, srv, "sales-approver@example.com", "Approval needed", "Approve"))
	if err != nil {
		t.Fatal(err)
	}
	b.open(approve.RequestURI())
	if got := b.text("h1"); !strings.Contains(got, "Approve or deny request "+id) {
		t.Fatalf("approval link: got %q, want the confirmation page of request %s", got, id)
	}
	b.click("#decision-approve")
	b.fill("#comment", "fine for the quarterly report")
	b.submit("#decide button")
	if got := b.text("#decision"); !strings.Contains(got, "Approved by sales-approver@example.com") {
		t.Errorf("after confirming: got %q, want the approval recorded with its recipient", got)
	}
	// A second decision finds the first one recorded.
	code, body := b.postAs("/approvals/"+id+"/deny", url.Values{"comment": {"too late"}})
	if code != http.StatusConflict || !strings.Contains(body, "approved already") {
		t.Errorf("second decision: got %d, want 409 naming the recorded approval", code)
	}
	b.signOut()

	// The consumer's admin accepts the invitation and grants a member through the link.
	b.signIn("analytics-admin", demoPassword(t, srv, "analytics-admin"), "admin-password-1")
	b.open("/invitations")
	inv := ""
	for i, s := range b.texts("li.invitation") {
		if strings.HasPrefix(s, "sales") && strings.Contains(s, "pending") {
			inv = b.attr("li.invitation", i, "id")
		}
	}
	if inv == "" {
		t.Fatalf("invitations: got %q, want a pending one for sales", b.texts("li.invitation"))
	}
	b.fill("#"+inv+" input[name=link_name]", "sales_link")
	b.submit("#" + inv + ` form[action$="/accept"] button`)
	b.open("/shared/sales_link")
	form := `form.grant-form:has(input[name=table][value=orders])`
	b.fill(form+" input[name=user]", "analytics-member")
	b.submit(form + " button")
	if got := b.text("#grants"); !strings.Contains(got, "222233334444/analytics-member") {
		t.Errorf("grants through the link: got %q, want the member's", got)
	}

	// The request shows SHARED, with the path through the approval drawn.
	b.open("/requests/" + id)
	if got := b.text("h1"); !strings.Contains(got, "SHARED") {
		t.Errorf("request: got %q, want SHARED", got)
	}
	if got := b.text("#decision-card"); !strings.Contains(got, "Approved") || !strings.Contains(got, "fine for the quarterly report") {
		t.Errorf("decision: got %q, want the approval with its comment", got)
	}
	for _, s := range []string{"Start", "GetCatalogTableDetails", "DoesItHavePIIColumns", "SendAndWaitPIIColumnApproval", "ApprovedPIIShareCatalogItem", "End"} {
		if !b.graphHas(`g.node.visited[data-state="` + s + `"]`) {
			t.Errorf("graph: want %s on the path taken", s)
		}
	}
	for _, s := range []string{"NoPIIShareCatalogItem", "AccessDenied", "ApprovalExpired"} {
		if !b.graphHas(`g.node[data-state="`+s+`"]`) || b.graphHas(`g.node.visited[data-state="`+s+`"]`) {
			t.Errorf("graph: want %s drawn and not on the path", s)
		}
	}
	if !b.graphHas(`path.edge.taken[data-from="SendAndWaitPIIColumnApproval"][data-to="ApprovedPIIShareCatalogItem"]`) ||
		b.graphHas(`path.edge.taken[data-to="AccessDenied"]`) || b.graphHas(`.current`) {
		t.Errorf("graph: want the approval's edge taken, the denial's not, and no current state")
	}
	if got := b.attr("svg#request-graph", 0, "role"); got != "img" {
		t.Errorf("graph role: got %q, want img", got)
	}
	if got := get(b, "graph text", chromedpTextContent("#graph-text")); !strings.Contains(got, "Start → GetCatalogTableDetails → DoesItHavePIIColumns → SendAndWaitPIIColumnApproval → ApprovedPIIShareCatalogItem → End") {
		t.Errorf("graph's text alternative: got %q, want the path taken", got)
	}
	if got := get(b, "timeline", chromedpTextContent("#timeline")); !strings.Contains(got, "TaskSucceeded") || strings.Contains(strings.ToLower(got), `"token"`) {
		t.Errorf("timeline: got %q, want the history without task tokens", got)
	}
	if got := b.count(`form[action="/requests/` + id + `/revoke"]`); got != 1 {
		t.Fatalf("shared request seen by the requesting account's admin: got %d revoke forms, want 1", got)
	}
	b.submit(`form[action="/requests/` + id + `/revoke"] button`)
	if got := b.text("h1"); !strings.Contains(got, "REVOKED") {
		t.Errorf("after revoking: got %q, want REVOKED", got)
	}
	if got := b.text("#request-facts"); !strings.Contains(got, "222233334444/analytics-admin") {
		t.Errorf("revoked request: got %q, want who ended it", got)
	}
}

// mailboxLink waits for a message to to in the built-in mailbox whose
// subject holds subject, and returns its link labelled label.
func mailboxLink(t *testing.T, srv *testbin.Server, to, subject, label string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `: (\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var msgs []struct {
			To, Subject, Text string
		}
		if err := json.Unmarshal([]byte(cli(t, srv, "mailbox", "list", "-o", "json")), &msgs); err != nil {
			t.Fatalf("mailbox list: %v", err)
		}
		for _, m := range msgs {
			if m.To == to && strings.Contains(m.Subject, subject) {
				if got := re.FindStringSubmatch(m.Text); got != nil {
					return got[1]
				}
				t.Fatalf("mail %q to %s has no %s link:\n%s", m.Subject, to, label, m.Text)
			}
		}
	}
	t.Fatalf("no mail to %s about %q in the mailbox", to, subject)
	return ""
}
