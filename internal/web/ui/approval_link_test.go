package ui_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const (
	producerID = "111122223333"
	consumerID = "222233334444"
)

// linkEnv is a real server sending mail to an in-process SMTP server, with
// a producer owning the sensitive database sales and a consumer outside the
// organization whose member ann asks for it.
type linkEnv struct {
	t     *testing.T
	ctx   context.Context
	srv   *servertest.Server
	admin *client.Client
	smtp  *notifytest.SMTPServer
	ann   *client.Client
	// passwords are the users' temporary passwords, to sign in with.
	passwords map[string]string
}

func newLinkEnv(t *testing.T, kind string, clock mesh.Clock) *linkEnv {
	t.Helper()
	smtp := notifytest.StartSMTP(t)
	e := newMeshEnv(t, kind, clock, email.Config{Addr: smtp.Addr, From: "meshgate@example.com", TLS: "none"})
	e.smtp = smtp
	return e
}

// newMeshEnv is linkEnv's mesh, its mail sent as smtp says: with no
// address, to the built-in mailbox (and e.smtp is nil).
func newMeshEnv(t *testing.T, kind string, clock mesh.Clock, smtp email.Config) *linkEnv {
	t.Helper()
	srv, admin := servertest.New(t, servertest.Options{Store: kind, Clock: clock, Config: server.Config{
		SMTP:         smtp,
		WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		NotifyRetry:  &notify.RetryPolicy{Pre: 1, PreDelay: 50 * time.Millisecond},
	}})
	e := &linkEnv{t: t, ctx: context.Background(), srv: srv, admin: admin, passwords: map[string]string{}}
	for _, a := range []client.AccountInput{{ID: producerID, Name: "Sales", Email: "sales@example.com"},
		{ID: consumerID, Name: "Analytics", Organization: "o-other", Email: "analytics@example.com"}} {
		if _, err := admin.OnboardAccount(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CreateDatabase(e.ctx, &client.Database{Name: "sales", Parameters: map[string]string{"data_owner": producerID}}); err != nil {
		t.Fatal(err)
	}
	cols := []client.Column{{Name: "id", Type: "int"}, {Name: "email", Type: "string", Parameters: map[string]string{"pii_flag": "true"}}}
	if err := admin.CreateTables(e.ctx, "sales", []client.Table{{Name: "orders", Columns: cols}}); err != nil {
		t.Fatal(err)
	}
	e.ann = e.user(consumerID, "ann", "ann@example.com", mesh.RoleMember)
	e.user(consumerID, "cadmin", "cadmin@example.com", mesh.RoleAdmin)
	return e
}

// user creates a user and returns a client with an API token of theirs.
func (e *linkEnv) user(account, name, addr string, roles ...string) *client.Client {
	e.t.Helper()
	u, err := e.admin.CreateUser(e.ctx, account, client.UserInput{Username: name, Email: addr, Roles: roles})
	if err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	e.passwords[name] = u.TemporaryPassword
	tok, err := e.admin.IssueToken(e.ctx, u.User.ID, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return client.New(e.srv.URL, tok.Secret)
}

// shareSales grants the consumer account every table of sales, with the
// grant option, and has a second admin of it (cad2) accept the invitation:
// the consumer's admins then see the resource link /shared/sales.
func (e *linkEnv) shareSales(t *testing.T) {
	t.Helper()
	if _, err := e.admin.Grant(e.ctx, client.GrantInput{Principal: consumerID, Resource: client.Resource{Database: "sales", Table: "*"},
		Permissions: []string{"SELECT", "DESCRIBE"}, Grantable: []string{"SELECT", "DESCRIBE"}}); err != nil {
		t.Fatal(err)
	}
	cad := e.user(consumerID, "cad2", "cad2@example.com", mesh.RoleAdmin)
	invs, err := cad.Invitations(e.ctx, consumerID, "pending")
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.Database == "sales" {
			if _, err := cad.AcceptInvitation(e.ctx, inv.ID, ""); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no pending invitation to sales among %v", invs)
}

// subscribeEmail subscribes addr to the producer's topic and confirms it
// through the link of the confirmation email.
func (e *linkEnv) subscribeEmail(addr string) int64 {
	e.t.Helper()
	sub, err := e.admin.Subscribe(e.ctx, client.SubscribeInput{AccountID: producerID, Protocol: "email", Endpoint: addr})
	if err != nil {
		e.t.Fatal(err)
	}
	m := e.mail(addr, "")
	link := regexp.MustCompile(`(?m)^Confirm subscription: (\S+)`).FindStringSubmatch(m.Text)
	if link == nil {
		e.t.Fatalf("no confirmation link in %q", m.Text)
	}
	resp, err := http.PostForm(link[1], nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("confirm: got %d, want 200", resp.StatusCode)
	}
	return sub.ID
}

// mail waits for a message to addr whose subject contains subject.
func (e *linkEnv) mail(addr, subject string) *notifytest.Mail {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range e.smtp.Received() {
			if len(m.To) > 0 && strings.EqualFold(m.To[0], addr) && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		e.smtp.WaitFor(len(e.smtp.Received())+1, 200*time.Millisecond)
	}
	e.t.Fatalf("no mail to %s with subject %q arrived; got %d messages", addr, subject, len(e.smtp.Received()))
	return nil
}

func (e *linkEnv) request(table string) *client.AccessRequest {
	e.t.Helper()
	r, _, err := e.ann.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: table, Justification: "the quarterly churn report"})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// piiRequests adds n tables with a column flagged pii_flag to sales, t00
// onwards, and has ann request each: n approvals wait for the producer.
func (e *linkEnv) piiRequests(n int) {
	e.t.Helper()
	var tables []client.Table
	for i := range n {
		tables = append(tables, client.Table{Name: fmt.Sprintf("t%02d", i),
			Columns: []client.Column{{Name: "email", Type: "string", Parameters: map[string]string{"pii_flag": "true"}}}})
	}
	if err := e.admin.CreateTables(e.ctx, "sales", tables); err != nil {
		e.t.Fatal(err)
	}
	for _, tb := range tables {
		if _, _, err := e.ann.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: tb.Name, Justification: "all of them"}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// storeLinkGrants stores, straight into the store, many users of the
// consumer each granted SELECT on sales.orders by its admin cadmin: more
// grants than a page of the link's list shows.
func storeLinkGrants(t *testing.T, e *linkEnv) {
	t.Helper()
	now := time.Now()
	storeAll(t, e, func(tx store.Tx, i int) error {
		name := fmt.Sprintf("member%04d", i)
		if err := tx.CreateUser(e.ctx, &mesh.User{AccountID: consumerID, Username: name,
			Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "not-a-hash"); err != nil {
			return err
		}
		return tx.CreateGrant(e.ctx, &mesh.Grant{Principal: mesh.UserPrincipal(consumerID, name),
			Resource: mesh.Resource{Database: "sales", Table: "orders"}, Permissions: mesh.PermissionsOf(mesh.PermSelect),
			Status: mesh.GrantActive, Source: mesh.Principal(consumerID), GrantedBy: "cadmin", CreatedAt: now, UpdatedAt: now})
	})
}

func (e *linkEnv) status(id int64) *client.RequestView {
	e.t.Helper()
	v, err := e.admin.Request(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

var hrefRe = regexp.MustCompile(`href="([^"]+)"`)
var urlRe = regexp.MustCompile(`https?://[^\s"<>]+`)

// links returns every link of a mail, from its text and its HTML.
func links(m *notifytest.Mail) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range urlRe.FindAllString(m.Text, -1) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, h := range hrefRe.FindAllStringSubmatch(m.HTML, -1) {
		if u := html.UnescapeString(h[1]); !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// actionLink returns the mail's link labelled label ("Approve", "Deny").
func actionLink(t *testing.T, m *notifytest.Mail, label string) string {
	t.Helper()
	return textLink(t, m.Text, label)
}

// textLink returns the link labelled label of a message's text.
func textLink(t *testing.T, text, label string) string {
	t.Helper()
	got := regexp.MustCompile(`(?m)^` + label + `: (\S+)`).FindStringSubmatch(text)
	if got == nil {
		t.Fatalf("no %s link in\n%s", label, text)
	}
	return got[1]
}

func fetch(t *testing.T, method, u string, form url.Values, cookie *http.Cookie) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var noRedirectClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var tokenRe = regexp.MustCompile(`name="token" value="([^"]+)"`)

// confirm opens link and posts its form with decision, as a person would.
func confirm(t *testing.T, link, decision, comment string, cookie *http.Cookie) (*http.Response, string) {
	t.Helper()
	resp, body := fetch(t, "GET", link, nil, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open %s: got %d, want 200:\n%s", link, resp.StatusCode, body)
	}
	tok := tokenRe.FindStringSubmatch(body)
	if tok == nil {
		t.Fatalf("no form with the link's token on the page:\n%s", body)
	}
	u, _ := url.Parse(link)
	u.RawQuery = ""
	return fetch(t, "POST", u.String(), url.Values{"token": {html.UnescapeString(tok[1])}, "decision": {decision}, "comment": {comment}}, cookie)
}

func wantRequestStatus(t *testing.T, e *linkEnv, id int64, want string) *client.RequestView {
	t.Helper()
	v := e.status(id)
	if v.Status != want {
		t.Fatalf("request %d: got status %v, want %v (%s: %s)", id, v.Status, want, v.Error, v.Cause)
	}
	return v
}

// TestApprovalLinkEmail: the approval email arrives over SMTP with links of
// its own; GET and HEAD on every one of them (a mail scanner) change
// nothing; the Approve link through its confirmation POST shares the
// product and records the recipient; a second use shows the decision; the
// requester is told by email and the consumer's admin gets the invitation.
func TestApprovalLinkEmail(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newLinkEnv(t, kind, nil)
			e.subscribeEmail("ops@example.com")
			e.subscribeEmail("lead@example.com")
			r := e.request("orders")
			wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")
			m := e.mail("ops@example.com", "Approval needed")
			other := e.mail("lead@example.com", "Approval needed")
			for _, want := range []string{"Database: sales", "Table: orders", "Target account: " + consumerID, consumerID + "/ann",
				"the quarterly churn report", "Flagged as personal data: orders.email"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("approval email: got\n%s\nwant it to contain %q", m.Text, want)
				}
			}
			if m.MessageID() != "approval-request-"+itoa(r.ID) {
				t.Errorf("message id: got %q, want approval-request-%d", m.MessageID(), r.ID)
			}
			approve := actionLink(t, m, "Approve")
			if approve == actionLink(t, other, "Approve") {
				t.Errorf("two recipients got the same link %s, want one each", approve)
			}

			// a scanner follows every link, with GET and HEAD
			all := links(m)
			if len(all) < 3 {
				t.Fatalf("got links %v, want Approve, Deny and unsubscribe at least", all)
			}
			for _, l := range all {
				for _, method := range []string{"GET", "HEAD"} {
					resp, _ := fetch(t, method, l, nil, nil)
					if resp.StatusCode != http.StatusOK {
						t.Errorf("%s %s: got %d, want 200", method, l, resp.StatusCode)
					}
					if strings.Contains(l, "/approval-link") && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
						t.Errorf("%s %s: got CSP %q, want the strict policy", method, l, resp.Header.Get("Content-Security-Policy"))
					}
				}
			}
			wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")

			resp, _ := confirm(t, approve, "approve", "fine for the report", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirm: got %d, want 303", resp.StatusCode)
			}
			v := wantRequestStatus(t, e, r.ID, "SHARED")
			if d := v.Decision; d == nil || d.Channel != "email-link" || !strings.Contains(d.By, "ops@example.com") || d.Comment != "fine for the report" {
				t.Errorf("decision: got %+v, want email-link by ops@example.com", d)
			}
			if v.GrantID == 0 {
				t.Errorf("got no grant on the shared request")
			}

			// a second use, of this link or another recipient's, shows the decision
			for _, l := range []string{approve, actionLink(t, other, "Deny")} {
				resp, body := fetch(t, "GET", l, nil, nil)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Approved by") || strings.Contains(body, `name="token"`) {
					t.Errorf("second use of %s: got %d\n%s\nwant the recorded approval and no form", l, resp.StatusCode, body)
				}
			}
			resp, body := confirm2(t, approve)
			if resp.StatusCode != http.StatusSeeOther && !strings.Contains(body, "Approved by") {
				t.Errorf("second POST: got %d %s, want the decision", resp.StatusCode, body)
			}
			wantRequestStatus(t, e, r.ID, "SHARED")

			shared := e.mail("ann@example.com", "Access shared")
			if !strings.Contains(shared.Text, "sales.orders") {
				t.Errorf("outcome email: got\n%s", shared.Text)
			}
			inv := e.mail("cadmin@example.com", "Invitation")
			if !strings.Contains(inv.Text, "invitation accept") {
				t.Errorf("invitation email: got\n%s", inv.Text)
			}
		})
	}
}

// confirm2 posts a used link's form again, with the token the link carries.
func confirm2(t *testing.T, link string) (*http.Response, string) {
	t.Helper()
	u, _ := url.Parse(link)
	tok := u.Query().Get("token")
	u.RawQuery = ""
	return fetch(t, "POST", u.String(), url.Values{"token": {tok}, "decision": {"deny"}}, nil)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestApprovalLinkRefusals: a deny link denies with the comment, which the
// requester's email carries, and refuses a comment holding NUL; a link sent to the requester's own address
// refuses; a forged or altered token refuses; an expired link refuses.
func TestApprovalLinkRefusals(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			clock := mesh.NewFakeClock(time.Now())
			e := newLinkEnv(t, kind, clock)
			e.subscribeEmail("ops@example.com")
			e.subscribeEmail("ann@example.com") // the requester reads the producer's topic too

			r := e.request("orders")
			own := e.mail("ann@example.com", "Approval needed")
			resp, body := fetch(t, "GET", actionLink(t, own, "Approve"), nil, nil)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "nobody decides a request they made") {
				t.Errorf("own request's link: got %d\n%s\nwant 403", resp.StatusCode, body)
			}
			u, _ := url.Parse(actionLink(t, own, "Approve"))
			tok := u.Query().Get("token")
			resp, _ = fetch(t, "POST", e.srv.URL+"/approval-link", url.Values{"token": {tok}, "decision": {"approve"}}, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("own request's form: got %d, want 403", resp.StatusCode)
			}
			forged := tok[:len(tok)-2] + "AA"
			resp, _ = fetch(t, "GET", e.srv.URL+"/approval-link?token="+url.QueryEscape(forged), nil, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("forged token: got %d, want 403", resp.StatusCode)
			}
			wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")

			// a comment holding NUL is refused naming the field, and
			// decides nothing
			m := e.mail("ops@example.com", "Approval needed")
			resp, body = confirm(t, actionLink(t, m, "Deny"), "deny", "no\x00personal data", nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "comment") {
				t.Errorf("NUL in the comment: got %d\n%s\nwant 400 naming the comment", resp.StatusCode, body)
			}
			wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")

			// deny, with a comment the requester reads
			resp, _ = confirm(t, actionLink(t, m, "Deny"), "deny", "no personal data for reports", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("deny: got %d, want 303", resp.StatusCode)
			}
			wantRequestStatus(t, e, r.ID, "DENIED")
			denied := e.mail("ann@example.com", "DENIED")
			if !strings.Contains(denied.Text, "no personal data for reports") {
				t.Errorf("denial email: got\n%s\nwant the comment", denied.Text)
			}

			// an expired link refuses
			r2 := e.request("*")
			m2 := e.mail("ops@example.com", "database sales")
			link := actionLink(t, m2, "Approve")
			resp, _ = fetch(t, "GET", link, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("fresh link: got %d, want 200", resp.StatusCode)
			}
			clock.Add(8 * 24 * time.Hour)
			resp, body = fetch(t, "GET", link, nil, nil)
			if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "expired") {
				t.Errorf("expired link: got %d\n%s\nwant 409 naming the expiry", resp.StatusCode, body)
			}
			if st := e.status(r2.ID).Status; st == "SHARED" {
				t.Errorf("an expired link shared request %d", r2.ID)
			}
		})
	}
}

// TestApprovalLinkSignIn: with the account's sign-in setting, the link
// alone decides nothing; an approver of the account, signed in, does.
func TestApprovalLinkSignIn(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.user(producerID, "sam", "sam@example.com", mesh.RoleApprover)
	padmin := e.user(producerID, "padmin", "padmin@example.com", mesh.RoleAdmin)
	if _, err := e.ann.SetApprovalLinkSettings(e.ctx, producerID, true); err == nil {
		t.Errorf("a consumer's member changed the producer's setting")
	}
	if s, err := padmin.SetApprovalLinkSettings(e.ctx, producerID, true); err != nil || !s.SignInRequired {
		t.Fatalf("set: got %+v, %v", s, err)
	}
	e.subscribeEmail("ops@example.com")
	r := e.request("orders")
	link := actionLink(t, e.mail("ops@example.com", "Approval needed"), "Approve")
	resp, body := fetch(t, "GET", link, nil, nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `name="token"`) || !strings.Contains(body, "requires its approvers to sign in") {
		t.Errorf("signed out: got %d\n%s\nwant the sign-in notice and no form", resp.StatusCode, body)
	}
	u, _ := url.Parse(link)
	resp, _ = fetch(t, "POST", e.srv.URL+"/approval-link", url.Values{"token": {u.Query().Get("token")}, "decision": {"approve"}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("signed-out POST: got %d, want 403", resp.StatusCode)
	}
	wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")

	annSession := sessionOf(t, e, "ann")
	resp, _ = fetch(t, "POST", e.srv.URL+"/approval-link", url.Values{"token": {u.Query().Get("token")}, "decision": {"approve"}}, annSession)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the requester signed in: got %d, want 403", resp.StatusCode)
	}
	wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")

	resp, _ = confirm(t, link, "approve", "", sessionOf(t, e, "sam"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed-in approver: got %d, want 303", resp.StatusCode)
	}
	v := wantRequestStatus(t, e, r.ID, "SHARED")
	if d := v.Decision; d == nil || !strings.HasPrefix(d.By, producerID+"/sam via ops@example.com") || d.Channel != "email-link" {
		t.Errorf("decision: got %+v, want sam via ops@example.com through email-link", d)
	}
	list, err := e.admin.ListAudit(e.ctx, client.AuditFilter{Action: "sharing.approval_links.update"}, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	audit := list.Entries
	if len(audit) != 1 || audit[0].Principal != producerID+"/padmin" {
		t.Errorf("audit of the setting: got %d entries, want one by padmin", len(audit))
	}
}

// TestApprovalLinkNotForTheRequester: without the sign-in setting a link
// decides as its recipient, but a requester who opens one signed in (the
// approval went to a team address or channel they read) is known, and
// refused as at the approval API: nobody decides a request they made.
func TestApprovalLinkNotForTheRequester(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.subscribeEmail("data-team@example.com")
	r := e.request("orders")
	link := actionLink(t, e.mail("data-team@example.com", "Approval needed"), "Approve")
	annSession := sessionOf(t, e, "ann")
	resp, body := fetch(t, "GET", link, nil, annSession)
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, `name="token"`) || !strings.Contains(body, "nobody decides a request they made") {
		t.Errorf("the requester opens the link: got %d\n%s\nwant 403 saying why, with no form", resp.StatusCode, body)
	}
	u, _ := url.Parse(link)
	resp, _ = fetch(t, "POST", e.srv.URL+"/approval-link", url.Values{"token": {u.Query().Get("token")}, "decision": {"approve"}}, annSession)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the requester posts the form: got %d, want 403", resp.StatusCode)
	}
	wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")
	if resp, _ := confirm(t, link, "deny", "not for this report", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the recipient, signed out: got %d, want 303", resp.StatusCode)
	}
	wantRequestStatus(t, e, r.ID, "DENIED")
}

// sessionOf signs name in (changing the temporary password) and returns the session cookie.
func sessionOf(t *testing.T, e *linkEnv, name string) *http.Cookie {
	t.Helper()
	c := client.New(e.srv.URL, "").WithSession()
	if _, err := c.Login(e.ctx, name, e.passwords[name]); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangePassword(e.ctx, e.passwords[name], "a-long-new-password-1"); err != nil {
		t.Fatal(err)
	}
	e.passwords[name] = "a-long-new-password-1"
	resp, err := http.Post(e.srv.URL+"/api/v1/login", "application/json",
		strings.NewReader(`{"username": "`+name+`", "password": "a-long-new-password-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.CookieName {
			return ck
		}
	}
	t.Fatalf("no session cookie for %s", name)
	return nil
}

// TestApprovalLinkWebhook: a webhook subscription receives the approval
// request signed, with links of its own that decide as "webhook-link"; the
// requester signed in is refused them, as an email link.
func TestApprovalLinkWebhook(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	rcv := notifytest.StartReceiver(t)
	rcv.OnConfirm = func(b webhook.Body) {
		if resp, err := http.Post(b.SubscribeURL, "", nil); err == nil {
			resp.Body.Close()
		}
	}
	sub, err := e.admin.Subscribe(e.ctx, client.SubscribeInput{AccountID: producerID, Protocol: "http", Endpoint: rcv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	rcv.Secret.Store(sub.SigningSecret)
	rcv.WaitFor(1, 10*time.Second)
	for range 100 {
		if s, _ := e.admin.Subscription(e.ctx, sub.ID); s != nil && s.Status == "confirmed" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := e.request("orders")
	got := rcv.WaitFor(2, 15*time.Second)
	if len(got) < 2 {
		t.Fatalf("got %d webhook requests, want the confirmation and the approval request", len(got))
	}
	hook := got[1]
	if !hook.Verified || hook.Body.MessageID != "approval-request-"+itoa(r.ID) || !strings.Contains(string(hook.Body.Data), `"pii_columns":["orders.email"]`) {
		t.Fatalf("approval webhook: verified %v, body %s", hook.Verified, hook.Raw)
	}
	var approve string
	for _, l := range hook.Body.Links {
		if l.Label == "Approve" {
			approve = l.URL
		}
	}
	if approve == "" {
		t.Fatalf("no Approve link in %s", hook.Raw)
	}
	for _, method := range []string{"GET", "HEAD"} {
		fetch(t, method, approve, nil, nil)
	}
	// a webhook's URL names no person, but the requester signed in is
	// known on this channel too
	annSession := sessionOf(t, e, "ann")
	if resp, body := fetch(t, "GET", approve, nil, annSession); resp.StatusCode != http.StatusForbidden || strings.Contains(body, `name="token"`) {
		t.Errorf("the requester opens the webhook's link: got %d, want 403 with no form", resp.StatusCode)
	}
	u, _ := url.Parse(approve)
	if resp, _ := fetch(t, "POST", e.srv.URL+"/approval-link", url.Values{"token": {u.Query().Get("token")}, "decision": {"approve"}}, annSession); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the requester posts the webhook link's form: got %d, want 403", resp.StatusCode)
	}
	wantRequestStatus(t, e, r.ID, "PENDING_APPROVAL")
	if resp, _ := confirm(t, approve, "approve", "", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: got %d, want 303", resp.StatusCode)
	}
	if d := wantRequestStatus(t, e, r.ID, "SHARED").Decision; d == nil || d.Channel != "webhook-link" || !strings.Contains(d.By, rcv.URL) || strings.Contains(d.By, "/hook") {
		t.Errorf("decision: got %+v, want webhook-link by the receiver's host, without its path", d)
	}
}

// TestOutcomeEmails: the requester is told by email of a time-bound
// grant's coming end (once, however many sweeps run) and of its expiry; a
// requester without an email is told at the account's address, here of a
// revocation.
func TestOutcomeEmails(t *testing.T) {
	clock := mesh.NewFakeClock(time.Now())
	e := newLinkEnv(t, "sqlite", clock)
	sam := e.user(producerID, "sam", "sam@example.com", mesh.RoleApprover)
	padmin := e.user(producerID, "padmin", "", mesh.RoleAdmin)
	bob := e.user(consumerID, "bob", "", mesh.RoleMember)

	r, _, err := e.ann.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: "orders", Justification: "a two-day look", Duration: "48h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sam.Decide(e.ctx, r.ID, true, "", ""); err != nil {
		t.Fatal(err)
	}
	e.mail("ann@example.com", "Access shared")
	clock.Add(25 * time.Hour)
	for range 3 {
		if _, err := e.srv.Sharing.ExpireOnce(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	warn := e.mail("ann@example.com", "Access ends soon")
	if !strings.Contains(warn.Text, "ends at") {
		t.Errorf("warning: got\n%s", warn.Text)
	}
	warnings := 0
	for _, n := range e.status(r.ID).Notifications {
		if n.Event == "request.expiring" {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("after three sweeps: got %d warnings, want 1", warnings)
	}
	clock.Add(24 * time.Hour)
	if _, err := e.srv.Sharing.ExpireOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantRequestStatus(t, e, r.ID, "EXPIRED")
	if m := e.mail("ann@example.com", "Access ended"); !strings.Contains(m.Text, "EXPIRED") {
		t.Errorf("expiry email: got\n%s", m.Text)
	}

	r2, _, err := bob.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Justification: "the whole database"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sam.Decide(e.ctx, r2.ID, true, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := padmin.RevokeRequest(e.ctx, r2.ID); err != nil {
		t.Fatal(err)
	}
	if m := e.mail("analytics@example.com", "Access ended"); !strings.Contains(m.Text, "REVOKED") || !strings.Contains(m.Text, consumerID+"/bob") {
		t.Errorf("revocation email to the account: got\n%s", m.Text)
	}
}

// TestApprovalLinkRace: two recipients confirm at once, one approving and
// one denying; one decision wins, and both are shown that one.
func TestApprovalLinkRace(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newLinkEnv(t, kind, nil)
			e.subscribeEmail("ops@example.com")
			e.subscribeEmail("lead@example.com")
			r := e.request("orders")
			links := []string{actionLink(t, e.mail("ops@example.com", "Approval needed"), "Approve"),
				actionLink(t, e.mail("lead@example.com", "Approval needed"), "Deny")}
			forms := make([]url.Values, 2)
			for i, l := range links {
				resp, body := fetch(t, "GET", l, nil, nil)
				tok := tokenRe.FindStringSubmatch(body)
				if resp.StatusCode != http.StatusOK || tok == nil {
					t.Fatalf("open %s: got %d", l, resp.StatusCode)
				}
				forms[i] = url.Values{"token": {html.UnescapeString(tok[1])}, "decision": {[]string{"approve", "deny"}[i]}}
			}
			codes := make(chan int, 2)
			for _, f := range forms {
				go func() {
					req, _ := http.NewRequest("POST", e.srv.URL+"/approval-link", strings.NewReader(f.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					resp, err := noRedirectClient.Do(req)
					if err != nil {
						codes <- 0
						return
					}
					resp.Body.Close()
					codes <- resp.StatusCode
				}()
			}
			for range 2 {
				if got := <-codes; got != http.StatusSeeOther {
					t.Errorf("a confirmation: got %d, want 303 to the decision", got)
				}
			}
			v := e.status(r.ID)
			if v.Status != "SHARED" && v.Status != "DENIED" {
				t.Fatalf("got status %s, want one decision", v.Status)
			}
			want := "Approved by ops@example.com"
			if v.Status == "DENIED" {
				want = "Denied by lead@example.com"
			}
			for _, l := range links {
				if _, body := fetch(t, "GET", l, nil, nil); !strings.Contains(body, want) {
					t.Errorf("after the race, %s: want %q on the page", l, want)
				}
			}
		})
	}
}

// TestApprovalLinkDeadAfterTheApprovalEnds: the copies of an approval's
// links that outlive it (a dead letter's payload, the built-in mailbox's
// messages, kept until the retention) decide nothing once it ends. An
// approval email dead-lettered while the mail server was down and retried
// after its request was cancelled arrives with links that refuse, on
// opening and on posting, as those of a decided approval show its decision
// (TestApprovalLinkEmail) and those of an expired one refuse
// (TestApprovalLinkRefusals).
func TestApprovalLinkDeadAfterTheApprovalEnds(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newLinkEnv(t, kind, nil)
			e.subscribeEmail("ops@example.com")
			e.smtp.Stop()
			r := e.request("orders")
			var dead *client.Delivery
			for deadline := time.Now().Add(15 * time.Second); dead == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				ds, err := e.admin.Deliveries(e.ctx, "failed", producerID, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ds {
					if d.MessageID == "approval-request-"+itoa(r.ID) {
						dead = &d
					}
				}
			}
			if dead == nil {
				t.Fatalf("the approval email of request %d was not dead-lettered", r.ID)
			}
			if _, err := e.ann.CancelRequest(e.ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			wantRequestStatus(t, e, r.ID, "CANCELLED")

			e.smtp.Start(t)
			if _, err := e.admin.RetryDelivery(e.ctx, dead.ID); err != nil {
				t.Fatal(err)
			}
			m := e.mail("ops@example.com", "Approval needed")
			for _, label := range []string{"Approve", "Deny"} {
				link := actionLink(t, m, label)
				resp, body := fetch(t, "GET", link, nil, nil)
				if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "nothing to decide") || strings.Contains(body, `name="token"`) {
					t.Errorf("%s link of a cancelled approval: got %d\n%s\nwant 409 with no form", label, resp.StatusCode, body)
				}
				if resp, body := confirm2(t, link); resp.StatusCode != http.StatusConflict {
					t.Errorf("%s form of a cancelled approval: got %d\n%s\nwant 409", label, resp.StatusCode, body)
				}
			}
			wantRequestStatus(t, e, r.ID, "CANCELLED")
		})
	}
}
