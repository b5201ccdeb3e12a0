package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestNotifyCommands drives notifications through the CLI against a real
// server: the topic onboarding creates, a webhook confirmed by POSTing its
// subscribe URL, a published message, the mailbox and its confirmation link
// (whose GET changes nothing), a dead letter and its retry.
func TestNotifyCommands(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Store: kind, Config: server.Config{
				WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
				NotifyRetry:  &notify.RetryPolicy{Pre: 1, PreDelay: 50 * time.Millisecond},
			}})
			ctx := context.Background()
			if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
				t.Fatal(err)
			}
			run := func(wantCode int, want []string, args ...string) string {
				t.Helper()
				var out, errOut bytes.Buffer
				code := (&Main{Stdout: &out, Stderr: &errOut}).Run(ctx, append([]string{"--endpoint", srv.URL, "--token", srv.AdminToken}, args...))
				got := out.String() + errOut.String()
				if code != wantCode {
					t.Fatalf("%s: got exit %d, want %d:\n%s", strings.Join(args, " "), code, wantCode, got)
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s: got\n%s\nwant it to contain %q", strings.Join(args, " "), got, w)
					}
				}
				return got
			}
			run(0, []string{"111122223333", "DataLakeSharingApproval"}, "topic", "list")

			// a webhook confirms by POSTing the subscribe URL it was sent
			rcv := notifytest.StartReceiver(t)
			confirmed := make(chan error, 1)
			rcv.OnConfirm = func(b webhook.Body) {
				resp, err := http.Post(b.SubscribeURL, "", nil)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = &url.Error{Op: "confirm", URL: b.SubscribeURL, Err: http.ErrNotSupported}
					}
				}
				confirmed <- err
			}
			out := run(0, []string{"pending-confirmation", "signing secret (shown once): "},
				"subscribe", "--account", "111122223333", "--protocol", "http", "--notification-endpoint", rcv.URL+"/hook")
			rcv.Secret.Store(out[strings.LastIndex(out, " ")+1 : len(out)-1])
			select {
			case err := <-confirmed:
				if err != nil {
					t.Fatalf("confirm through the subscribe URL: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no confirmation reached the receiver")
			}
			run(0, []string{"http://127.0.0.1", "confirmed"}, "subscription", "list", "--account", "111122223333")
			publish := func(id string) {
				t.Helper()
				err := srv.Store.Update(ctx, func(tx store.Tx) error {
					return srv.Notify.Publish(ctx, tx, "111122223333", notify.Message{ID: id, Subject: "Request " + id, Text: "Please decide."})
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			publish("m-1")
			got := rcv.WaitFor(2, 10*time.Second)
			if len(got) != 2 || got[1].Body.MessageID != "m-1" || !got[1].Verified {
				t.Fatalf("got %d requests, want the confirmation and a signed m-1", len(got))
			}

			// an email subscription's confirmation lands in the mailbox
			run(0, []string{"pending-confirmation"}, "subscribe", "--account", "111122223333", "--protocol", "email", "--notification-endpoint", "ops@example.com")
			var box []client.MailboxMessage
			for range 100 {
				if box, _ = admin.Mailbox(ctx, 10); len(box) > 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(box) != 1 {
				t.Fatalf("got %d mailbox messages, want the confirmation", len(box))
			}
			shown := run(0, []string{"To: ops@example.com", "Confirm subscription: " + srv.URL}, "mailbox", "show", "--id", strconv.FormatInt(box[0].ID, 10))
			link := regexp.MustCompile(`Confirm subscription: (\S+)`).FindStringSubmatch(shown)[1]
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req, _ := http.NewRequest(method, link, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s on the confirmation link: got %d, want 200", method, resp.StatusCode)
				}
			}
			run(0, []string{"ops@example.com", "pending-confirmation"}, "subscription", "list")
			resp, err := http.PostForm(link, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			run(0, []string{"ops@example.com", "confirmed"}, "subscription", "list")
			run(0, []string{"DataLakeSharingApproval"}, "mailbox", "list")

			// a receiver answering 500 gets the retries, then the dead letter
			rcv.Status.Store(http.StatusInternalServerError)
			publish("m-2")
			var failed []client.Delivery
			for range 200 {
				if failed, _ = admin.Deliveries(ctx, "failed", "", 0); len(failed) > 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(failed) != 1 || failed[0].MessageID != "m-2" || failed[0].Attempts != 2 {
				t.Fatalf("got dead letters %+v, want m-2 after 2 attempts", failed)
			}
			id := strconv.FormatInt(failed[0].ID, 10)
			out = run(0, []string{"m-2", "500"}, "delivery", "list", "--status", "failed", "-o", "json")
			var listed []client.Delivery
			if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 1 {
				t.Errorf("-o json: got %s (%v)", out, err)
			}
			rcv.Status.Store(0)
			run(0, []string{id, "pending"}, "delivery", "retry", "--id", id)
			for range 200 {
				if d, _ := admin.Deliveries(ctx, "failed", "", 0); len(d) == 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			run(0, []string{"m-2", "sent"}, "delivery", "list")
			run(1, []string{"409", "not failed"}, "delivery", "retry", "--id", id)
			run(1, []string{"400", "endpoint"}, "subscribe", "--account", "111122223333", "--protocol", "https", "--notification-endpoint", "ftp://x")
			run(0, []string{"unsubscribed"}, "unsubscribe", "--id", "1")
		})
	}
}

// TestMailboxShowWithholdsTheRequestersLinks: the mesh admin who made a
// request reads its approval email in the mailbox through the CLI with the
// approval links withheld, and is told why: opened signed out, a link
// would decide their own request as its recipient.
func TestMailboxShowWithholdsTheRequestersLinks(t *testing.T) {
	m := newAccessMesh(t, storetest.Kinds()[0])
	ctx := context.Background()
	mail := func(id string) client.MailboxMessage {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			box, err := m.adminClient.Mailbox(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range box {
				if strings.HasPrefix(msg.MessageID, id) {
					return msg
				}
			}
		}
		t.Fatalf("no message %s… in the mailbox", id)
		return client.MailboxMessage{}
	}
	if _, err := m.adminClient.Subscribe(ctx, client.SubscribeInput{AccountID: "111122223333", Protocol: "email", Endpoint: "ops@example.com"}); err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`Confirm subscription: (\S+)`).FindStringSubmatch(mail("confirm-").Text)
	if link == nil {
		t.Fatal("no confirmation link in the mailbox")
	}
	resp, err := http.PostForm(link[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: got %d, want 200", resp.StatusCode)
	}
	if out, code := m.run(t, m.admin, "request", "create", "--database", "sales", "--table", "orders", "--target-account", "222233334444",
		"--justification", "a report of my own"); code != 0 {
		t.Fatalf("request create: exit %d:\n%s", code, out)
	}
	id := strconv.FormatInt(mail("approval-request-").ID, 10)
	for _, args := range [][]string{{"mailbox", "show", "--id", id}, {"mailbox", "show", "--id", id, "-o", "json"}, {"mailbox", "list", "-o", "json"}} {
		out, code := m.run(t, m.admin, args...)
		if code != 0 || strings.Contains(out, "/approval-link?token=") || !strings.Contains(out, "[link withheld]") ||
			!strings.Contains(out, "nobody decides a request they made") {
			t.Errorf("%s: got exit %d:\n%s\nwant the approval links withheld, saying why", strings.Join(args, " "), code, out)
		}
	}
	if out, _ := m.run(t, m.admin, "mailbox", "show", "--id", id); !strings.Contains(out, "Withheld: you made request") {
		t.Errorf("mailbox show: got\n%s\nwant a Withheld: line", out)
	}
}
