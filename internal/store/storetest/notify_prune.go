package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("notify/sent-payload", testNotifySentPayload)
	register("notify/prune", testNotifyPrune)
	register("notify/prune-at-once", testNotifyPruneAtOnce)
}

// approvalSecret stands for the approval links' tokens a payload holds.
const approvalSecret = "approval-link-token-0123456789abcdef"

// testNotifySentPayload: a sent delivery's payload, which may hold approval
// links, is dropped; a dead-lettered one keeps it for a retry.
func testNotifySentPayload(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	body := []byte(`{"message":{"links":[{"url":"https://mesh.example.com/approval-link?token=` + approvalSecret + `"}]}}`)
	sent := &store.Delivery{MessageID: "approval-request-1", SubscriptionID: sub.ID, Kind: "notification", Protocol: "https",
		Endpoint: sub.Endpoint, Payload: body, NextAttempt: notifyT0, CreatedAt: notifyT0}
	failed := &store.Delivery{MessageID: "approval-request-2", SubscriptionID: sub.ID, Kind: "notification", Protocol: "https",
		Endpoint: sub.Endpoint, Payload: body, NextAttempt: notifyT0, CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertDeliveries(ctx, []*store.Delivery{sent, failed}); err != nil {
			return err
		}
		if _, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 10, nil); err != nil {
			return err
		}
		_, err := tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{
			{ID: sent.ID, Status: store.DeliverySent, At: notifyT0},
			{ID: failed.ID, Status: store.DeliveryFailed, Error: "HTTP 410", At: notifyT0},
		})
		return err
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		got, err := tx.FindDelivery(ctx, sent.ID)
		if err != nil {
			return err
		}
		if got.Status != store.DeliverySent || strings.Contains(string(got.Payload), approvalSecret) {
			t.Errorf("sent: got status %s payload %q, want sent without the link's token", got.Status, got.Payload)
		}
		got, err = tx.FindDelivery(ctx, failed.ID)
		if err != nil {
			return err
		}
		if got.Status != store.DeliveryFailed || string(got.Payload) != string(body) {
			t.Errorf("dead-lettered: got status %s payload %q, want failed with its payload, to retry", got.Status, got.Payload)
		}
		return nil
	})
}

// testNotifyPrune: PruneDeliveries deletes the deliveries sent or
// dead-lettered before a time, in batches of at most limit, and leaves
// pending ones (retries among them, a dead letter retried however old)
// and those finished since; PruneMailbox deletes older mailbox messages.
func testNotifyPrune(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	day := 24 * time.Hour
	before := notifyT0.Add(30 * day)
	mk := func(id string) *store.Delivery {
		return &store.Delivery{MessageID: id, SubscriptionID: sub.ID, Kind: "notification", Protocol: "https", Endpoint: sub.Endpoint,
			Payload: []byte(`{}`), NextAttempt: notifyT0, CreatedAt: notifyT0}
	}
	oldSent, oldSent2, oldFailed, retrying, retried, newSent, newFailed :=
		mk("old-sent"), mk("old-sent-2"), mk("old-failed"), mk("retrying"), mk("retried"), mk("new-sent"), mk("new-failed")
	direct := &store.Delivery{MessageID: "old-direct", Kind: "direct", Protocol: "email", Endpoint: "a@example.com",
		Payload: []byte(`{}`), NextAttempt: notifyT0, CreatedAt: notifyT0}
	all := []*store.Delivery{oldSent, oldSent2, oldFailed, retrying, retried, newSent, newFailed, direct}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertDeliveries(ctx, all); err != nil {
			return err
		}
		if _, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 10, nil); err != nil {
			return err
		}
		_, err := tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{
			{ID: oldSent.ID, Status: store.DeliverySent, At: notifyT0},
			{ID: oldSent2.ID, Status: store.DeliverySent, At: notifyT0.Add(time.Second)},
			{ID: direct.ID, Status: store.DeliverySent, At: notifyT0.Add(2 * time.Second)},
			{ID: oldFailed.ID, Status: store.DeliveryFailed, Error: "refused", At: notifyT0},
			{ID: retrying.ID, Status: store.DeliveryPending, NextAttempt: notifyT0.Add(40 * day), Error: "HTTP 500", At: notifyT0},
			{ID: retried.ID, Status: store.DeliveryFailed, Error: "refused", At: notifyT0},
			{ID: newSent.ID, Status: store.DeliverySent, At: before.Add(time.Second)},
			{ID: newFailed.ID, Status: store.DeliveryFailed, Error: "refused", At: before},
		})
		if err != nil {
			return err
		}
		// a dead letter an admin retries is pending again, however old
		return tx.RetryDelivery(ctx, retried.ID, notifyT0.Add(40*day))
	})
	var got []int
	for {
		var n int
		mustUpdate(t, s, func(tx store.Tx) error {
			var err error
			n, err = tx.PruneDeliveries(ctx, before, 2)
			return err
		})
		got = append(got, n)
		if n < 2 || len(got) > 5 {
			break
		}
	}
	if len(got) != 3 || got[0] != 2 || got[1] != 2 || got[2] != 0 {
		t.Errorf("batches of 2: got %v deleted, want [2 2 0]", got)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, d := range all {
			_, err := tx.FindDelivery(ctx, d.ID)
			gone := mesh.IsCode(err, mesh.ENOTFOUND)
			want := d == oldSent || d == oldSent2 || d == oldFailed || d == direct
			if err != nil && !gone {
				return err
			}
			if gone != want {
				t.Errorf("delivery %s: got gone %v, want %v", d.MessageID, gone, want)
			}
		}
		return nil
	})

	old := &store.MailboxMessage{MessageID: "old-direct", To: "a@example.com", Subject: "s", Text: "t", CreatedAt: notifyT0}
	recent := &store.MailboxMessage{MessageID: "new", To: "a@example.com", Subject: "s", Text: "t", CreatedAt: before}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertMailbox(ctx, old); err != nil {
			return err
		}
		return tx.InsertMailbox(ctx, recent)
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		if n, err := tx.PruneMailbox(ctx, before, 10); n != 1 || err != nil {
			t.Errorf("prune mailbox: got %d, %v, want 1", n, err)
		}
		ms, err := tx.FindMailbox(ctx, 0, 10)
		if err != nil || len(ms) != 1 || ms[0].ID != recent.ID {
			t.Errorf("mailbox after pruning: got %v, %v, want the recent message", ms, err)
		}
		if n, err := tx.PruneMailbox(ctx, before, 10); n != 0 || err != nil {
			t.Errorf("prune the mailbox again: got %d, %v, want 0", n, err)
		}
		return nil
	})
}

// testNotifyPruneAtOnce: processes pruning one store at once (replicas
// of a PostgreSQL store) delete each row once between them and fail
// none of their transactions.
func testNotifyPruneAtOnce(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	const rows, pruners = 50, 4
	var ds []*store.Delivery
	var rs []store.DeliveryResult
	for i := range rows {
		ds = append(ds, &store.Delivery{MessageID: "m" + string(rune('A'+i)), SubscriptionID: sub.ID, Kind: "notification", Protocol: "https",
			Endpoint: sub.Endpoint, Payload: []byte(`{}`), NextAttempt: notifyT0, CreatedAt: notifyT0})
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertDeliveries(ctx, ds); err != nil {
			return err
		}
		if _, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), rows, nil); err != nil {
			return err
		}
		for _, d := range ds {
			rs = append(rs, store.DeliveryResult{ID: d.ID, Status: store.DeliverySent, At: notifyT0})
		}
		_, err := tx.FinishDeliveries(ctx, "a", rs)
		return err
	})
	var wg sync.WaitGroup
	deleted := make(chan int, pruners*rows)
	for range pruners {
		wg.Go(func() {
			for {
				var n int
				err := s.Update(ctx, func(tx store.Tx) error {
					var err error
					n, err = tx.PruneDeliveries(ctx, notifyT0.Add(time.Hour), 7)
					return err
				})
				if err != nil {
					t.Errorf("prune: %v", err)
					return
				}
				deleted <- n
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	close(deleted)
	total := 0
	for n := range deleted {
		total += n
	}
	left, err := findAllDeliveries(s)
	if total != rows || err != nil || len(left) != 0 {
		t.Errorf("got %d deleted and %d left (%v), want %d and none", total, len(left), err, rows)
	}
}

func findAllDeliveries(s store.Store) ([]*store.Delivery, error) {
	var out []*store.Delivery
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.FindDeliveries(context.Background(), store.DeliveryFilter{Limit: 1000})
		return err
	})
	return out, err
}

// OldDeliveries are deliveries as a store kept them before they were
// pruned: message id, status, and whether a sending time is set. Each
// store's migration test writes them there, with the payload OldPayload,
// created and sent at notifyT0.
var OldDeliveries = [][3]string{
	{"sent-1", store.DeliverySent, "sent"},
	{"failed-1", store.DeliveryFailed, ""},
	{"pending-1", store.DeliveryPending, ""},
}

// OldPayload is the stored message of OldDeliveries, holding an approval link.
var OldPayload = `{"message":{"links":[{"url":"https://mesh.example.com/approval-link?token=` + approvalSecret + `"}]}}`

// DeliveriesMigrated checks that s, opened at now on a store that held
// OldDeliveries, dropped the sent one's payload, counts its retention from
// its sending and the dead letter's from now, and keeps the pending one.
func DeliveriesMigrated(t *testing.T, s store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	ds, err := findAllDeliveries(s)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries: got %d, %v, want 3", len(ds), err)
	}
	for _, d := range ds {
		d, err := findDelivery(s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if held := strings.Contains(string(d.Payload), approvalSecret); held != (d.Status != store.DeliverySent) {
			t.Errorf("%s (%s): got payload %q, want it dropped only when sent", d.MessageID, d.Status, d.Payload)
		}
	}
	// sent at notifyT0: past a day's retention; dead-lettered at an unknown
	// time, counted from the migration: within it
	mustUpdate(t, s, func(tx store.Tx) error {
		n, err := tx.PruneDeliveries(ctx, now.Add(-24*time.Hour), 10)
		if err != nil || n != 1 {
			t.Errorf("prune: got %d, %v, want the sent delivery", n, err)
		}
		return err
	})
	left, err := findAllDeliveries(s)
	if err != nil || len(left) != 2 || left[0].MessageID != "pending-1" || left[1].MessageID != "failed-1" {
		t.Errorf("left: got %v, %v, want the pending delivery and the dead letter", left, err)
	}
}

func findDelivery(s store.Store, id int64) (*store.Delivery, error) {
	var d *store.Delivery
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		d, err = tx.FindDelivery(context.Background(), id)
		return err
	})
	return d, err
}
