package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestRetention: a delivered message's payload no longer holds the approval
// link it carried; once the retention has passed, Prune deletes the
// delivered and dead-lettered deliveries and the mailbox's messages, and
// keeps what is still pending and what finished since.
func TestRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "ops@example.com"}); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		box, _ := f.svc.FindMailbox(admin(), 0, 1)
		if _, err := f.svc.Confirm(admin(), tokenOf(t, box[0].Text)); err != nil {
			t.Fatal(err)
		}
		const secret = "signed-approval-token-0123456789"
		approval := msg("approval-request-1")
		approval.Links = []notify.Link{{Label: "Approve", URL: "https://mesh.example.com/approval-link?token=" + secret}}
		f.publish(t, approval)
		f.sendAll(t)
		sent := f.deliveries(t, store.DeliverySent)
		if len(sent) != 2 {
			t.Fatalf("sent: got %d, want the confirmation and the approval request", len(sent))
		}
		for _, d := range sent {
			got := f.find(t, d.ID)
			if strings.Contains(string(got.Payload), secret) || len(got.Payload) != 0 {
				t.Errorf("delivered %s: got payload %q, want it dropped", d.MessageID, got.Payload)
			}
		}

		// a message that never gets through, later, is dead-lettered
		f.clock.Add(10 * 24 * time.Hour)
		noRetry := notify.RetryPolicy{}
		f.svc = notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Clock: f.clock, Policy: &noRetry,
			Channels: map[string]notify.Channel{"email": failing{}}})
		f.publish(t, msg("dead-1"))
		f.sendAll(t)

		f.clock.Add(notify.DefaultRetention - 10*24*time.Hour - time.Minute)
		if n, err := f.svc.Prune(context.Background()); err != nil || n != (notify.Pruned{}) {
			t.Errorf("prune within the retention: got %+v, %v, want nothing", n, err)
		}
		f.publish(t, msg("pending-1"))
		f.clock.Add(2 * time.Minute)
		n, err := f.svc.Prune(context.Background())
		if err != nil || n.Deliveries != 2 || n.Mailbox != 2 {
			t.Errorf("prune past the retention: got %+v, %v, want the 2 sent deliveries and 2 mailbox messages", n, err)
		}
		if left := f.deliveries(t, ""); len(left) != 2 || left[0].MessageID != "pending-1" || left[1].MessageID != "dead-1" {
			t.Errorf("left: got %v, want pending-1 and the later dead letter dead-1", left)
		}
		if box, err := f.svc.FindMailbox(admin(), 0, 10); err != nil || len(box) != 0 {
			t.Errorf("mailbox: got %d messages (%v), want none", len(box), err)
		}
	})
}

// failing is an email channel whose every delivery fails.
type failing struct{}

func (failing) ValidateEndpoint(_ context.Context, e string) (string, error) { return e, nil }
func (failing) Deliver(context.Context, *notify.Envelope) error              { return errors.New("mailbox full") }

// find reads a delivery as the store holds it, with its payload.
func (f *fixture) find(t *testing.T, id int64) *store.Delivery {
	t.Helper()
	var d *store.Delivery
	err := f.st.View(context.Background(), func(tx store.Tx) error {
		var err error
		d, err = tx.FindDelivery(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRetentionOfARetriedDeadLetter: a dead letter keeps its message, so
// that an admin's retry sends it again; retried and failed again, its
// retention counts from the second dead-lettering, not the first.
func TestRetentionOfARetriedDeadLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		noRetry := notify.RetryPolicy{}
		f.svc = notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Clock: f.clock, Policy: &noRetry,
			Channels: map[string]notify.Channel{"email": failing{}}})
		f.update(t, func(tx store.Tx) error {
			return f.svc.Send(context.Background(), tx, "req@example.com", msg("outcome-1"))
		})
		f.sendAll(t)
		dead := f.deliveries(t, store.DeliveryFailed)
		if len(dead) != 1 {
			t.Fatalf("got %d dead letters, want outcome-1", len(dead))
		}
		if got := f.find(t, dead[0].ID); len(got.Payload) == 0 {
			t.Fatal("the dead letter's message: got it dropped, want it kept for a retry")
		}
		f.clock.Add(notify.DefaultRetention - 24*time.Hour)
		if _, err := f.svc.RetryDelivery(admin(), dead[0].ID); err != nil {
			t.Fatal(err)
		}
		if got := f.find(t, dead[0].ID); got.Status != store.DeliveryPending {
			t.Fatalf("retried: got status %s, want pending", got.Status)
		}
		f.sendAll(t)
		if got := f.find(t, dead[0].ID); got.Status != store.DeliveryFailed || got.Attempts != 1 || len(got.Payload) == 0 {
			t.Fatalf("after the retry: got status %s, %d attempts, payload %d bytes; want failed again, its message kept", got.Status, got.Attempts, len(got.Payload))
		}
		f.clock.Add(48 * time.Hour) // past the retention from the first dead-lettering
		if n, err := f.svc.Prune(context.Background()); err != nil || n.Deliveries != 0 {
			t.Errorf("prune a retention after the first failure: got %+v, %v; want the retried dead letter kept", n, err)
		}
		f.clock.Add(notify.DefaultRetention - 48*time.Hour + time.Minute)
		if n, err := f.svc.Prune(context.Background()); err != nil || n.Deliveries != 1 {
			t.Errorf("prune a retention after the second failure: got %+v, %v; want it deleted", n, err)
		}
	})
}
