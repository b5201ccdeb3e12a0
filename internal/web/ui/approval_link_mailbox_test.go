package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// mailboxMail waits for the built-in mailbox's message to addr whose
// message id starts with id, as the bootstrap admin reads it.
func (e *linkEnv) mailboxMail(addr, id string) client.MailboxMessage {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		box, err := e.admin.Mailbox(e.ctx, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, m := range box {
			if strings.EqualFold(m.To, addr) && strings.HasPrefix(m.MessageID, id) {
				return m
			}
		}
	}
	e.t.Fatalf("no message %s… to %s in the mailbox", id, addr)
	return client.MailboxMessage{}
}

// subscribeMailbox subscribes addr to the producer's topic and confirms it
// through the link of the confirmation in the mailbox.
func (e *linkEnv) subscribeMailbox(addr string) {
	e.t.Helper()
	if _, err := e.admin.Subscribe(e.ctx, client.SubscribeInput{AccountID: producerID, Protocol: "email", Endpoint: addr}); err != nil {
		e.t.Fatal(err)
	}
	link := regexp.MustCompile(`(?m)^Confirm subscription: (\S+)`).FindStringSubmatch(e.mailboxMail(addr, "confirm-").Text)
	if link == nil {
		e.t.Fatalf("no confirmation link in the mailbox's message to %s", addr)
	}
	if resp, _ := fetch(e.t, "POST", link[1], url.Values{}, nil); resp.StatusCode != http.StatusOK {
		e.t.Fatalf("confirm: got %d, want 200", resp.StatusCode)
	}
}

// TestMailboxWithholdsTheRequestersApprovalLinks: with no SMTP server,
// mesh admins read the approvers' mail in the built-in mailbox, and mesh
// admins may request for any account. A link decides as its recipient,
// whoever opens it signed out: the mesh admin who made a request must get
// no working link of its approval from the mailbox (its pages, its API,
// which the CLI reads) or the outbox (the deliveries page and API), or
// they could sign out and decide their own request. The message says why
// its links are withheld. Another mesh admin reads the links whole, and
// one of them decides, signed out, as the recipient; the requester reads
// the links of a request someone else made.
func TestMailboxWithholdsTheRequestersApprovalLinks(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newMeshEnv(t, kind, nil, email.Config{})
			meg := e.user("central", "meg", "meg@example.com", mesh.RoleAdmin)
			e.user("central", "max", "max@example.com", mesh.RoleAdmin)
			e.subscribeMailbox("ops@example.com")

			mine, _, err := meg.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: "orders", TargetAccount: consumerID,
				Justification: "a report of my own"})
			if err != nil {
				t.Fatal(err)
			}
			wantRequestStatus(t, e, mine.ID, "PENDING_APPROVAL")
			msg := e.mailboxMail("ops@example.com", "approval-request-"+itoa(mine.ID))
			approve := textLink(t, msg.Text, "Approve")
			u, _ := url.Parse(approve)
			token := u.Query().Get("token")
			anns := e.mailboxMail("ops@example.com", "approval-request-"+itoa(e.request("*").ID))
			annsLink := textLink(t, anns.Text, "Approve")

			megSession := sessionOf(t, e, "meg")
			msgPage := "/admin/mailbox/" + itoa(msg.ID)
			for _, c := range []struct {
				name, path string
				// want is what the answer says besides withholding the token
				want []string
			}{
				{"the mailbox page", "/admin/mailbox", []string{"Approval needed"}},
				{"the message's page", msgPage, []string{"withheld", "you made request " + itoa(mine.ID), "nobody decides a request they made"}},
				{"the page of ann's request's message", "/admin/mailbox/" + itoa(anns.ID), []string{html.EscapeString(annsLink)}},
				{"the deliveries page", "/admin/deliveries", []string{"Approval needed"}},
				{"the dead letters", "/admin/deliveries?status=failed", nil},
				{"the mailbox API", "/api/v1/mailbox", []string{`"withheld":`, "nobody decides a request they made"}},
				{"the message's API", "/api/v1/mailbox/" + itoa(msg.ID), []string{`"withheld":`, "nobody decides a request they made"}},
				{"the deliveries API", "/api/v1/deliveries", []string{"Approval needed"}},
			} {
				resp, body := fetch(t, "GET", e.srv.URL+c.path, nil, megSession)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("the requester reads %s: got %d, want 200", c.name, resp.StatusCode)
					continue
				}
				if strings.Contains(body, token) {
					t.Errorf("the requester reads %s: got the token of the approval link of their own request, want it withheld", c.name)
				}
				for _, w := range c.want {
					if !strings.Contains(body, w) {
						t.Errorf("the requester reads %s: got\n%s\nwant it to contain %q", c.name, body, w)
					}
				}
			}

			// another mesh admin reads the link whole, and it decides as
			// its recipient
			resp, body := fetch(t, "GET", e.srv.URL+msgPage, nil, sessionOf(t, e, "max"))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, html.EscapeString(approve)) || strings.Contains(body, "withheld") {
				t.Fatalf("another mesh admin reads the message: got %d\n%s\nwant its Approve link whole", resp.StatusCode, body)
			}
			if resp, _ := confirm(t, approve, "approve", "", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("the link from the other mesh admin's page, signed out: got %d, want 303", resp.StatusCode)
			}
			if d := wantRequestStatus(t, e, mine.ID, "SHARED").Decision; d == nil || d.Channel != "email-link" || !strings.Contains(d.By, "ops@example.com") {
				t.Errorf("decision: got %+v, want email-link by ops@example.com", d)
			}
		})
	}
}
