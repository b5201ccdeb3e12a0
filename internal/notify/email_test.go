package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestEmailSubscription: real SMTP from meshgate to an in-process server. An
// unconfirmed subscription gets only its confirmation; the link in it
// confirms; a published message then arrives with both bodies, its id and
// an unsubscribe link that works.
func TestEmailSubscription(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		srv := notifytest.StartSMTP(t)
		f := newFixture(t, st, srv.Addr, notify.SNSEmailPolicy)
		sub, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "approver@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != store.SubscriptionPending || sub.SigningSecret != "" {
			t.Errorf("got status %s secret %q, want pending without a secret", sub.Status, sub.SigningSecret)
		}
		f.publish(t, msg("before-confirm"))
		f.sendAll(t)
		got := srv.Received()
		if len(got) != 1 {
			t.Fatalf("got %d mails, want only the confirmation", len(got))
		}
		c := got[0]
		if c.To[0] != "approver@example.com" || !strings.Contains(c.Subject, "Confirm") || !strings.Contains(c.HTML, "Confirm subscription") {
			t.Errorf("confirmation: to %v subject %q", c.To, c.Subject)
		}
		if _, err := f.svc.Confirm(context.Background(), tokenOf(t, c.Text)+"0"); err == nil {
			t.Error("a wrong token confirmed the subscription")
		}
		if _, err := f.svc.Confirm(context.Background(), tokenOf(t, c.Text)); err != nil {
			t.Fatalf("confirm with the mailed link: %v", err)
		}
		f.publish(t, msg("m-1"))
		f.publish(t, msg("m-1")) // the same event twice: queued once
		f.sendAll(t)
		got = srv.Received()
		if len(got) != 2 {
			t.Fatalf("got %d mails, want the confirmation and one message", len(got))
		}
		m := got[1]
		if m.MessageID() != "m-1" || m.Subject != "Access request m-1" {
			t.Errorf("got id %q subject %q, want m-1", m.MessageID(), m.Subject)
		}
		for _, want := range []string{"Someone asked for sales.orders.", "Review: https://mesh.example.com/requests/m-1", "Unsubscribe: https://mesh.example.com/api/v1/subscriptions/"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text %q lacks %q", m.Text, want)
			}
		}
		if !strings.Contains(m.HTML, `<a href="https://mesh.example.com/requests/m-1">Review</a>`) || !strings.Contains(m.HTML, ">Unsubscribe</a>") {
			t.Errorf("html lacks the links: %s", m.HTML)
		}
		// the unsubscribe link ends the subscription; a forged one does not
		i := strings.Index(m.Text, "sig=")
		sig := strings.TrimSpace(m.Text[i+4:])
		if _, err := f.svc.UnsubscribeByLink(context.Background(), sub.ID, strings.Repeat("0", len(sig))); err == nil {
			t.Error("a forged signature unsubscribed")
		}
		if _, err := f.svc.UnsubscribeByLink(context.Background(), sub.ID, sig); err != nil {
			t.Fatalf("unsubscribe link: %v", err)
		}
		f.publish(t, msg("m-2"))
		f.sendAll(t)
		if n := len(srv.Received()); n != 2 {
			t.Errorf("got %d mails after unsubscribing, want still 2", n)
		}
		// whoever follows the links is anonymous: the entries name the
		// subscription's account, so that its audit lists them
		for _, action := range []string{"notify.confirm", "notify.unsubscribe"} {
			var es []*mesh.AuditEntry
			f.update(t, func(tx store.Tx) (err error) {
				es, err = tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 10})
				return err
			})
			if len(es) != 1 || es[0].AccountID != producer || es[0].Principal != "anonymous" {
				t.Errorf("%s: got %d entries (%+v), want one by anonymous in account %s", action, len(es), es, producer)
			}
		}
	})
}

// TestSMTPDownThenUp: messages queued while the SMTP server is down, or
// while it refuses, are retried on the policy and all arrive once it takes
// them again, each once.
func TestSMTPDownThenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		srv := notifytest.StartSMTP(t)
		f := newFixture(t, st, srv.Addr, notify.SNSEmailPolicy)
		srv.Stop()
		f.update(t, func(tx store.Tx) error {
			for _, id := range []string{"a", "b", "c", "d"} {
				if err := f.svc.Send(context.Background(), tx, id+"@example.com", msg(id)); err != nil {
					return err
				}
			}
			return nil
		})
		f.sendAll(t)
		pending := f.deliveries(t, store.DeliveryPending)
		if len(pending) != 4 {
			for _, d := range f.deliveries(t, "") {
				t.Logf("%+v", d)
			}
			t.Fatalf("got %d pending, want 4", len(pending))
		}
		for _, d := range pending {
			if d.Attempts != 1 || !d.NextAttempt.Equal(t0.Add(10*time.Second)) || d.LastError == "" {
				t.Errorf("after a refused connection: attempts %d next %v error %q, want 1, +10s and the error", d.Attempts, d.NextAttempt, d.LastError)
			}
		}
		f.sendAll(t) // nothing is due yet
		if pending := f.deliveries(t, store.DeliveryPending); pending[0].Attempts != 1 {
			t.Errorf("tried again before the retry was due")
		}
		srv.Start(t)
		srv.Refuse.Store(2) // the server is back but answers two messages 451
		f.clock.Add(10 * time.Second)
		f.sendAll(t)
		if n := len(srv.Received()); n != 2 {
			t.Fatalf("got %d mails, want 2 of 4 while two are refused", n)
		}
		f.clock.Add(10 * time.Second)
		f.sendAll(t)
		seen := map[string]int{}
		for _, m := range srv.Received() {
			seen[m.MessageID()]++
		}
		if len(seen) != 4 {
			t.Errorf("got ids %v, want a, b, c and d", seen)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("message %s arrived %d times, want once", id, n)
			}
		}
		if n := len(f.deliveries(t, store.DeliverySent)); n != 4 {
			t.Errorf("got %d sent, want 4", n)
		}
	})
}

// confirmedInMailbox subscribes addr by email to an empty mailbox and
// confirms it through the token of the confirmation it holds then.
func (f *fixture) confirmedInMailbox(t *testing.T, addr string) {
	t.Helper()
	if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: addr}); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	box, err := f.svc.FindMailbox(admin(), 0, 10)
	if err != nil || len(box) != 1 {
		t.Fatalf("mailbox: got %d, %v, want the confirmation", len(box), err)
	}
	if _, err := f.svc.Confirm(context.Background(), tokenOf(t, box[0].Text)); err != nil {
		t.Fatal(err)
	}
}

// TestMailbox: without SMTP, mail lands in the built-in mailbox with both
// bodies, readable by mesh admins only.
func TestMailbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		f.confirmedInMailbox(t, "ops@example.com")
		f.publish(t, msg("m-1"))
		f.sendAll(t)
		box, _ := f.svc.FindMailbox(admin(), 0, 10)
		if len(box) != 2 || box[0].MessageID != "m-1" || box[0].To != "ops@example.com" || !strings.Contains(box[0].HTML, "Review") {
			t.Fatalf("mailbox: got %+v, want m-1 first", box)
		}
		if _, err := f.svc.FindMailbox(producerAdmin(), 0, 10); err == nil {
			t.Error("an account admin read the mesh's mailbox")
		}
	})
}

// TestMailboxWithholdsGuardedLinks: a reader of the mailbox gets no
// signed link, nor its bare token, that the guard of its purpose refuses
// them, and is told why; links the guard lets through, links of another
// purpose and other readers are untouched; a guard's error fails the read
// and shows nothing.
func TestMailboxWithholdsGuardedLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		f.svc.GuardLinks("test", func(ctx context.Context, _ store.Tx, data []byte) (string, error) {
			switch a := mesh.ActorFromContext(ctx); {
			case string(data) == "boom":
				return "", errors.New("the guard failed")
			case a != nil && string(data) == a.Username:
				return "it is for " + string(data) + "'s eyes only", nil
			}
			return "", nil
		})
		f.confirmedInMailbox(t, "ops@example.com")
		rootsToken := f.svc.SignLink("test", []byte("root"))
		kept := []string{f.svc.SignLink("test", []byte("ann")), f.svc.SignLink("other", []byte("root"))}
		m := msg("m-1")
		m.Text += "\n\nOr type the code " + rootsToken + "."
		for i, tok := range append([]string{rootsToken}, kept...) {
			m.Links = append(m.Links, notify.Link{Label: fmt.Sprintf("Link %d", i), URL: "https://mesh.example.com/act?token=" + tok + "&x=1"})
		}
		f.publish(t, m)
		f.sendAll(t)

		box, err := f.svc.FindMailbox(admin(), 0, 1)
		if err != nil || len(box) != 1 {
			t.Fatalf("mailbox: got %d, %v, want m-1", len(box), err)
		}
		one, err := f.svc.FindMailboxMessage(admin(), box[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]*store.MailboxMessage{"the list": box[0], "the message": one} {
			if want := "it is for root's eyes only"; got.Withheld != want {
				t.Errorf("%s: got withheld %q, want %q", name, got.Withheld, want)
			}
			for part, body := range map[string]string{"text": got.Text, "html": got.HTML} {
				if strings.Contains(body, rootsToken) {
					t.Errorf("%s's %s: got the withheld token in\n%s", name, part, body)
				}
				for _, tok := range kept {
					if !strings.Contains(body, tok) {
						t.Errorf("%s's %s: got\n%s\nwant the link of %s kept", name, part, body, tok)
					}
				}
			}
			if !strings.Contains(got.Text, "Link 0: "+notify.WithheldLink+"\n") || !strings.Contains(got.Text, "the code "+notify.WithheldLink+".") {
				t.Errorf("%s: got text\n%s\nwant the link and the code shown as %s", name, got.Text, notify.WithheldLink)
			}
		}

		other := mesh.NewContext(context.Background(), &mesh.Actor{Username: "max", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
		if got, err := f.svc.FindMailboxMessage(other, box[0].ID); err != nil || got.Withheld != "" || !strings.Contains(got.Text, rootsToken) {
			t.Errorf("another mesh admin: got %+v, %v, want the message whole", got, err)
		}

		m = msg("m-2")
		m.Links = []notify.Link{{Label: "Boom", URL: "https://mesh.example.com/act?token=" + f.svc.SignLink("test", []byte("boom"))}}
		f.publish(t, m)
		f.sendAll(t)
		if got, err := f.svc.FindMailbox(admin(), 0, 10); err == nil {
			t.Errorf("a guard failed: got %d messages, want the error", len(got))
		}
	})
}

// TestSMTPReconnects: a kept connection the server dropped meanwhile is
// replaced at once; the message goes on its first attempt.
func TestSMTPReconnects(t *testing.T) {
	srv := notifytest.StartSMTP(t)
	f := newFixture(t, storetest.OpenSQLite(t, nil), srv.Addr, notify.SNSEmailPolicy)
	send := func(id string) {
		f.update(t, func(tx store.Tx) error { return f.svc.Send(context.Background(), tx, "a@example.com", msg(id)) })
		f.sendAll(t)
	}
	send("first")
	srv.Stop()
	srv.Start(t)
	send("second")
	sent := f.deliveries(t, store.DeliverySent)
	if len(sent) != 2 || sent[0].Attempts != 1 || len(srv.Received()) != 2 {
		t.Errorf("got %d sent (attempts %d), %d received, want both at the first attempt", len(sent), sent[0].Attempts, len(srv.Received()))
	}
}

// TestDirectMailOptOut: a direct message carries an unsubscribe link; once
// used, nothing more is sent to the address, queued or new.
func TestDirectMailOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		send := func(id string) {
			f.update(t, func(tx store.Tx) error { return f.svc.Send(context.Background(), tx, "Req@example.com", msg(id)) })
		}
		send("outcome-1")
		f.sendAll(t)
		box, _ := f.svc.FindMailbox(admin(), 0, 10)
		if len(box) != 1 {
			t.Fatalf("got %d messages, want 1", len(box))
		}
		link := regexp.MustCompile(`Unsubscribe: (\S+)`).FindStringSubmatch(box[0].Text)
		if link == nil {
			t.Fatalf("no unsubscribe link in %q", box[0].Text)
		}
		u, _ := url.Parse(link[1])
		if u.Path != "/api/v1/optout" {
			t.Fatalf("got link %s, want the opt-out", link[1])
		}
		send("outcome-2") // queued before the opt-out
		addr, sig := u.Query().Get("address"), u.Query().Get("sig")
		if err := f.svc.OptOutByLink(context.Background(), "other@example.com", sig); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("the signature of another address: got %v, want forbidden", err)
		}
		if err := f.svc.OptOutByLink(context.Background(), addr, sig); err != nil {
			t.Fatal(err)
		}
		send("outcome-3")
		f.sendAll(t)
		if box, _ = f.svc.FindMailbox(admin(), 0, 10); len(box) != 1 {
			t.Errorf("got %d messages after the opt-out, want still 1", len(box))
		}
		failed := f.deliveries(t, store.DeliveryFailed)
		if len(failed) != 1 || failed[0].MessageID != "outcome-2" || !strings.Contains(failed[0].LastError, "opted out") {
			t.Errorf("got dead letters %+v, want outcome-2, opted out", failed)
		}
	})
}

// TestConfirmTwice: confirming a confirmed subscription again (a second
// click, a receiver answering a confirmation delivered twice) returns it
// unchanged, where the token, cleared at the first, was "not found".
func TestConfirmTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "ops@example.com"}); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		box, _ := f.svc.FindMailbox(admin(), 0, 1)
		token := tokenOf(t, box[0].Text)
		first, err := f.svc.Confirm(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(notify.ConfirmationTTL) // a click days later too
		again, err := f.svc.Confirm(context.Background(), token)
		if err != nil || again.ID != first.ID || again.Status != store.SubscriptionConfirmed || !again.ConfirmedAt.Equal(first.ConfirmedAt) {
			t.Fatalf("confirm again: got %+v, %v; want subscription %d unchanged", again, err, first.ID)
		}
		if es := auditActions(t, f, "subscription/"+strconv.FormatInt(first.ID, 10)); len(es) != 2 {
			t.Errorf("audit: got %v, want the subscribe and one confirm", es)
		}
	})
}

// TestEmailListUnsubscribe: every email carries its unsubscribe link in a
// List-Unsubscribe header as well as in its text, which mail clients show as
// an unsubscribe button: a subscription's confirmation and messages name the
// subscription's link, a direct message the address's opt-out.
func TestEmailListUnsubscribe(t *testing.T) {
	srv := notifytest.StartSMTP(t)
	f := newFixture(t, storetest.OpenSQLite(t, nil), srv.Addr, notify.SNSEmailPolicy)
	if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "approver@example.com"}); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	if _, err := f.svc.Confirm(context.Background(), tokenOf(t, srv.Received()[0].Text)); err != nil {
		t.Fatal(err)
	}
	f.publish(t, msg("m-1"))
	f.update(t, func(tx store.Tx) error {
		return f.svc.Send(context.Background(), tx, "req@example.com", msg("outcome-1"))
	})
	f.sendAll(t)
	got := srv.Received()
	if len(got) != 3 {
		t.Fatalf("got %d mails, want the confirmation, m-1 and outcome-1", len(got))
	}
	unsubscribe := regexp.MustCompile(`Unsubscribe: (\S+)`)
	for _, m := range got {
		wantPath := "/api/v1/subscriptions/" // the confirmation's and m-1's
		if m.MessageID() == "outcome-1" {
			wantPath = "/api/v1/optout"
		}
		link := unsubscribe.FindStringSubmatch(m.Text)
		if link == nil || !strings.Contains(link[1], wantPath) {
			t.Fatalf("%q: got text %q, want an unsubscribe link to %s", m.Subject, m.Text, wantPath)
		}
		if h := m.Header.Get("List-Unsubscribe"); h != "<"+link[1]+">" {
			t.Errorf("%q: got List-Unsubscribe %q, want <%s>", m.Subject, h, link[1])
		}
	}
}
