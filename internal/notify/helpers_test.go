package notify_test

import (
	"context"
	"net/netip"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/store"
)

const producer = "111122223333"

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// admin is a mesh admin's context.
func admin() context.Context {
	return mesh.NewContext(context.Background(), &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
}

// loopback allows webhooks to the test receivers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

type fixture struct {
	st    store.Store
	clock *mesh.FakeClock
	svc   *notify.Service
}

// newFixture makes a service over st with the producer's topic; smtpAddr ""
// selects the built-in mailbox.
func newFixture(t *testing.T, st store.Store, smtpAddr string, policy notify.RetryPolicy) *fixture {
	t.Helper()
	clock := mesh.NewFakeClock(t0)
	mail, err := email.New(email.Config{Addr: smtpAddr, From: "meshgate@example.com", TLS: email.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	wh := webhook.New(webhook.Options{Allow: loopback})
	svc := notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Clock: clock, Policy: &policy,
		Timeout: 5 * time.Second, Channels: map[string]notify.Channel{"email": mail, "https": wh, "http": wh}})
	f := &fixture{st: st, clock: clock, svc: svc}
	f.update(t, func(tx store.Tx) error {
		// as onboarding does: the account, and its topic in the same transaction
		a := &mesh.Account{ID: producer, Name: "Sales", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateAccount(context.Background(), a); err != nil {
			return err
		}
		return svc.CreateTopic(context.Background(), tx, a)
	})
	return f
}

func (f *fixture) update(t *testing.T, fn func(tx store.Tx) error) {
	t.Helper()
	if err := f.st.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) publish(t *testing.T, msg notify.Message) {
	t.Helper()
	f.update(t, func(tx store.Tx) error { return f.svc.Publish(context.Background(), tx, producer, msg) })
}

// sendAll runs the sender until nothing is due now.
func (f *fixture) sendAll(t *testing.T) {
	t.Helper()
	for range 100 {
		n, err := f.svc.SendOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the sender never ran dry")
}

func (f *fixture) deliveries(t *testing.T, status string) []*store.Delivery {
	t.Helper()
	ds, err := f.svc.FindDeliveries(admin(), store.DeliveryFilter{Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

var confirmLink = regexp.MustCompile(`https://mesh\.example\.com/api/v1/subscriptions/confirm\?token=[0-9a-f]+`)

// tokenOf returns the token of the confirmation link in text.
func tokenOf(t *testing.T, text string) string {
	t.Helper()
	link := confirmLink.FindString(text)
	if link == "" {
		t.Fatalf("no confirmation link in %q", text)
	}
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}

func msg(id string) notify.Message {
	return notify.Message{ID: id, Subject: "Access request " + id, Text: "Someone asked for sales.orders.\n\nPlease decide.",
		Data: []byte(`{"request":"` + id + `"}`), Links: []notify.Link{{Label: "Review", URL: "https://mesh.example.com/requests/" + id}}}
}

// producerAdmin is an admin of the producer account.
func producerAdmin() context.Context {
	return mesh.NewContext(context.Background(), &mesh.Actor{Username: "ann", AccountID: producer, CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
}

// auditActions returns the actions audited on resource, newest first.
func auditActions(t *testing.T, f *fixture, resource string) []string {
	t.Helper()
	var actions []string
	err := f.st.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{Resource: resource, Limit: 100})
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return actions
}
