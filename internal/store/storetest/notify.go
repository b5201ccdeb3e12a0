package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("notify/topics", testNotifyTopics)
	register("notify/subscriptions", testNotifySubscriptions)
	register("notify/subscriptions-one-live", testNotifyOneLiveSubscription)
	register("notify/deliveries", testNotifyDeliveries)
	register("notify/count-deliveries", testNotifyCountDeliveries)
	register("notify/mailbox", testNotifyMailbox)
	register("notify/optouts", testNotifyOptOuts)
}

// testNotifyOptOuts: an opt-out holds whatever the address's case, and twice is fine.
func testNotifyOptOuts(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		if out, err := tx.IsOptedOut(ctx, "ann@example.com"); out || err != nil {
			t.Errorf("before: got %v, %v, want false", out, err)
		}
		for range 2 {
			if err := tx.OptOut(ctx, "Ann@Example.com", notifyT0); err != nil {
				return err
			}
		}
		if out, err := tx.IsOptedOut(ctx, "ann@example.com"); !out || err != nil {
			t.Errorf("after: got %v, %v, want true", out, err)
		}
		if out, err := tx.IsOptedOut(ctx, "bob@example.com"); out || err != nil {
			t.Errorf("another address: got %v, %v, want false", out, err)
		}
		return nil
	})
}

var notifyT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// notifyFixture makes a topic for account 111122223333 with one confirmed
// subscription and returns them.
func notifyFixture(t *testing.T, s store.Store) (*store.Topic, *store.Subscription) {
	t.Helper()
	ctx := context.Background()
	top := &store.Topic{AccountID: "111122223333", Name: "DataLakeSharingApproval", CreatedAt: notifyT0}
	sub := &store.Subscription{AccountID: "111122223333", Protocol: "https", Endpoint: "https://hooks.example.com/a",
		Status: store.SubscriptionConfirmed, Secret: "s3cret", CreatedAt: notifyT0, ConfirmedAt: notifyT0, Slack: true}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateTopic(ctx, top); err != nil {
			return err
		}
		sub.TopicID = top.ID
		return tx.CreateSubscription(ctx, sub)
	})
	return top, sub
}

func testNotifyTopics(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	top, sub := notifyFixture(t, s)
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateTopic(ctx, &store.Topic{AccountID: "111122223333", Name: "Other", CreatedAt: notifyT0})
	})
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Fatalf("a second live topic: got %v, want conflict", err)
	}
	// a queued delivery keeps a deleted topic until it is done
	d := &store.Delivery{MessageID: "m1", SubscriptionID: sub.ID, Kind: "notification", Protocol: "https", Endpoint: sub.Endpoint,
		Payload: []byte(`{}`), NextAttempt: notifyT0, CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertDeliveries(ctx, []*store.Delivery{d}); err != nil {
			return err
		}
		return tx.MarkTopicDeleted(ctx, "111122223333", notifyT0)
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.FindTopicByAccount(ctx, "111122223333"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("deleted topic: got %v, want not found", err)
		}
		n, err := tx.PurgeDeletedTopics(ctx)
		if n != 0 || err != nil {
			t.Errorf("purge with a pending delivery: got %d, %v, want 0", n, err)
		}
		// the subscription is still readable for the sender
		if _, err := tx.FindSubscription(ctx, sub.ID); err != nil {
			t.Errorf("subscription of a deleted topic: %v", err)
		}
		// a new topic for an account of the same id may exist meanwhile
		return tx.CreateTopic(ctx, &store.Topic{AccountID: "111122223333", Name: "DataLakeSharingApproval", CreatedAt: notifyT0})
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 10, nil)
		if err != nil || len(ds) != 1 {
			t.Fatalf("claim: got %d, %v, want 1", len(ds), err)
		}
		_, err = tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{{ID: d.ID, Status: store.DeliverySent, At: notifyT0}})
		return err
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		n, err := tx.PurgeDeletedTopics(ctx)
		if n != 1 || err != nil {
			t.Errorf("purge: got %d, %v, want 1", n, err)
		}
		if _, err := tx.FindSubscription(ctx, sub.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("subscription of a purged topic: got %v, want not found", err)
		}
		ts, err := tx.FindTopics(ctx, "")
		if err != nil || len(ts) != 1 || ts[0].ID == top.ID {
			t.Errorf("topics: got %v, %v, want only the new one", ts, err)
		}
		return nil
	})
}

func testNotifySubscriptions(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	top, sub := notifyFixture(t, s)
	pending := &store.Subscription{TopicID: top.ID, AccountID: top.AccountID, Protocol: "email", Endpoint: "ops@example.com",
		Status: store.SubscriptionPending, TokenHash: "abc", TokenExpires: notifyT0.Add(72 * time.Hour), Secret: "x", CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreateSubscription(ctx, pending) })
	mustUpdate(t, s, func(tx store.Tx) error {
		got, err := tx.FindSubscription(ctx, sub.ID)
		if err != nil {
			return err
		}
		if got.Endpoint != sub.Endpoint || !got.Slack || got.Secret != "s3cret" || !got.ConfirmedAt.Equal(notifyT0) || got.Status != store.SubscriptionConfirmed {
			t.Errorf("got %+v, want %+v", got, sub)
		}
		byToken, err := tx.FindSubscriptionByToken(ctx, "abc")
		if err != nil || byToken.ID != pending.ID || !byToken.TokenExpires.Equal(pending.TokenExpires) {
			t.Errorf("by token: got %+v, %v, want subscription %d", byToken, err, pending.ID)
		}
		confirmed, err := tx.FindSubscriptions(ctx, top.AccountID, store.SubscriptionConfirmed)
		if err != nil || len(confirmed) != 1 || confirmed[0].ID != sub.ID {
			t.Errorf("confirmed: got %v, %v, want [%d]", confirmed, err, sub.ID)
		}
		if err := tx.UpdateSubscriptionStatus(ctx, pending.ID, store.SubscriptionConfirmed, notifyT0); err != nil {
			return err
		}
		if got, err := tx.FindSubscriptionByToken(ctx, "abc"); err != nil || got.ID != pending.ID || got.Status != store.SubscriptionConfirmed {
			t.Errorf("a used token: got %+v, %v; want its subscription, confirmed", got, err)
		}
		if err := tx.UpdateSubscriptionStatus(ctx, sub.ID, store.SubscriptionUnsubscribed, notifyT0); err != nil {
			return err
		}
		all, err := tx.FindSubscriptions(ctx, "", "")
		if err != nil || len(all) != 1 || all[0].ID != pending.ID {
			t.Errorf("all but unsubscribed: got %v, %v, want [%d]", all, err, pending.ID)
		}
		if err := tx.UpdateSubscriptionStatus(ctx, 9999, store.SubscriptionConfirmed, notifyT0); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("missing subscription: got %v, want not found", err)
		}
		return nil
	})
}

// testNotifyOneLiveSubscription: an endpoint holds one live subscription
// to a topic, whatever the callers checked before inserting; once it is
// testNotifyCountDeliveries: deliveries are counted by status, in a read
// transaction, up to the limit.
func testNotifyCountDeliveries(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	var ds []*store.Delivery
	for i := range 5 {
		ds = append(ds, &store.Delivery{MessageID: fmt.Sprintf("m%d", i), SubscriptionID: sub.ID, Kind: "notification", Protocol: "https",
			Endpoint: sub.Endpoint, Payload: []byte(`{}`), NextAttempt: notifyT0, CreatedAt: notifyT0})
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.InsertDeliveries(ctx, ds); err != nil {
			return err
		}
		if _, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 2, nil); err != nil {
			return err
		}
		_, err := tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{
			{ID: ds[0].ID, Status: store.DeliverySent, At: notifyT0},
			{ID: ds[1].ID, Status: store.DeliveryFailed, Error: "HTTP 410", At: notifyT0},
		})
		return err
	})
	for _, c := range []struct {
		status string
		limit  int
		want   int
	}{
		{store.DeliveryPending, 100, 3},
		{store.DeliveryPending, 2, 2},
		{store.DeliveryFailed, 100, 1},
		{store.DeliverySent, 100, 1},
	} {
		mustView(t, s, func(tx store.Tx) error {
			got, err := tx.CountDeliveries(ctx, c.status, c.limit)
			if err != nil || got != c.want {
				t.Errorf("%s up to %d: got %d, %v, want %d", c.status, c.limit, got, err, c.want)
			}
			return nil
		})
	}
}

// unsubscribed the endpoint may subscribe again.
func testNotifyOneLiveSubscription(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	top, sub := notifyFixture(t, s)
	again := func(protocol, endpoint string) *store.Subscription {
		return &store.Subscription{TopicID: top.ID, AccountID: top.AccountID, Protocol: protocol, Endpoint: endpoint,
			Status: store.SubscriptionPending, TokenHash: "t-" + protocol + endpoint, TokenExpires: notifyT0.Add(72 * time.Hour),
			Secret: "x", CreatedAt: notifyT0}
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateSubscription(ctx, again(sub.Protocol, sub.Endpoint)) })
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Fatalf("a second live subscription of %s: got %v, want conflict", sub.Endpoint, err)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		// the same endpoint under another protocol is another subscription
		if err := tx.CreateSubscription(ctx, again("http", sub.Endpoint)); err != nil {
			t.Errorf("the endpoint over http: %v", err)
		}
		if err := tx.UpdateSubscriptionStatus(ctx, sub.ID, store.SubscriptionUnsubscribed, notifyT0); err != nil {
			return err
		}
		if err := tx.CreateSubscription(ctx, again(sub.Protocol, sub.Endpoint)); err != nil {
			t.Errorf("subscribing again after unsubscribing: %v", err)
		}
		// a webhook's URL keeps its case: another path is another endpoint
		if err := tx.CreateSubscription(ctx, again(sub.Protocol, "https://hooks.example.com/A")); err != nil {
			t.Errorf("a webhook URL differing in case: %v", err)
		}
		return tx.CreateSubscription(ctx, again("email", "Ops@Example.com"))
	})
	// an email address is one endpoint whatever its case
	for _, addr := range []string{"ops@example.com", "OPS@EXAMPLE.COM"} {
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateSubscription(ctx, again("email", addr)) })
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("%s while Ops@Example.com is subscribed: got %v, want conflict", addr, err)
		}
	}
}

func testNotifyDeliveries(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	mk := func(msg string, due time.Time) *store.Delivery {
		return &store.Delivery{MessageID: msg, SubscriptionID: sub.ID, Kind: "notification", Protocol: "https", Endpoint: sub.Endpoint,
			Subject: "subj " + msg, Payload: []byte(`{"m":"` + msg + `"}`), NextAttempt: due, CreatedAt: notifyT0}
	}
	d1, d2, dup := mk("m1", notifyT0), mk("m2", notifyT0.Add(time.Hour)), mk("m1", notifyT0)
	direct := &store.Delivery{MessageID: "m1", Kind: "direct", Protocol: "email", Endpoint: "a@example.com", Payload: []byte(`{}`),
		NextAttempt: notifyT0, CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.InsertDeliveries(ctx, []*store.Delivery{d1, d2, dup, direct}) })
	if d1.ID == 0 || d2.ID == 0 || direct.ID == 0 || dup.ID != 0 {
		t.Fatalf("ids: got %d %d %d dup %d, want three set and the duplicate 0", d1.ID, d2.ID, direct.ID, dup.ID)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		// an endpoint to skip (its share of the sender is busy) is left alone
		ds, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 10, []string{sub.Endpoint, "x@example.com"})
		if err != nil || len(ds) != 1 || ds[0].ID != direct.ID {
			t.Fatalf("claim skipping %s: got %d, %v, want only the direct message", sub.Endpoint, len(ds), err)
		}
		return tx.ReleaseDeliveryLeases(ctx)
	})
	var claimed []*store.Delivery
	mustUpdate(t, s, func(tx store.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 10, nil)
		return err
	})
	if len(claimed) != 2 || string(claimed[0].Payload) != `{"m":"m1"}` {
		t.Fatalf("claimed: got %d, want the two due", len(claimed))
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		again, err := tx.ClaimDeliveries(ctx, "b", notifyT0.Add(30*time.Second), notifyT0.Add(time.Minute), 10, nil)
		if err != nil || len(again) != 0 {
			t.Errorf("claim while leased: got %d, %v, want none", len(again), err)
		}
		// another owner cannot record a result
		done, err := tx.FinishDeliveries(ctx, "b", []store.DeliveryResult{{ID: d1.ID, Status: store.DeliverySent, At: notifyT0}})
		if err != nil || len(done) != 0 {
			t.Errorf("finish by another owner: got %v, %v, want none", done, err)
		}
		done, err = tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{
			{ID: d1.ID, Status: store.DeliveryPending, NextAttempt: notifyT0.Add(10 * time.Second), Error: "HTTP 500", At: notifyT0},
			{ID: direct.ID, Status: store.DeliveryFailed, Error: "refused", At: notifyT0},
		})
		if err != nil || len(done) != 2 {
			t.Errorf("finish: got %v, %v, want both", done, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		got, err := tx.FindDelivery(ctx, d1.ID)
		if err != nil {
			return err
		}
		if got.Attempts != 1 || got.LastError != "HTTP 500" || !got.NextAttempt.Equal(notifyT0.Add(10*time.Second)) || got.LeaseOwner != "" {
			t.Errorf("after a failed attempt: got %+v", got)
		}
		// an expired lease is taken again; a retry is due only at its time
		early, err := tx.ClaimDeliveries(ctx, "b", notifyT0.Add(5*time.Second), notifyT0.Add(time.Minute), 10, nil)
		if err != nil || len(early) != 0 {
			t.Errorf("claim before the retry is due: got %d, %v; want 0", len(early), err)
		}
		failed, err := tx.FindDeliveries(ctx, store.DeliveryFilter{Status: store.DeliveryFailed})
		if err != nil || len(failed) != 1 || failed[0].ID != direct.ID {
			t.Errorf("failed: got %v, %v, want [%d]", failed, err, direct.ID)
		}
		mine, err := tx.FindDeliveries(ctx, store.DeliveryFilter{AccountID: sub.AccountID})
		if err != nil || len(mine) != 2 || mine[0].ID != d2.ID {
			t.Errorf("of the account, newest first: got %v, %v", mine, err)
		}
		if err := tx.RetryDelivery(ctx, d1.ID, notifyT0); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("retry a pending delivery: got %v, want conflict", err)
		}
		return tx.RetryDelivery(ctx, direct.ID, notifyT0.Add(time.Second))
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx, "b", notifyT0.Add(20*time.Second), notifyT0.Add(time.Minute), 10, nil)
		if err != nil || len(ds) != 2 {
			t.Errorf("claim after retry time: got %d, %v, want 2", len(ds), err)
		}
		if err := tx.ReleaseDeliveryLeases(ctx); err != nil {
			return err
		}
		ds, err = tx.ClaimDeliveries(ctx, "c", notifyT0.Add(20*time.Second), notifyT0.Add(time.Minute), 10, nil)
		if err != nil || len(ds) != 2 {
			t.Errorf("claim after release: got %d, %v, want 2", len(ds), err)
		}
		return nil
	})
}

func testNotifyMailbox(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	_, sub := notifyFixture(t, s)
	d := &store.Delivery{MessageID: "c1", SubscriptionID: sub.ID, Kind: "confirmation", Protocol: "email", Endpoint: "ops@example.com",
		Payload: []byte(`{"token":"raw"}`), NextAttempt: notifyT0, CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.InsertDeliveries(ctx, []*store.Delivery{d}) })
	m := &store.MailboxMessage{MessageID: "c1", To: "ops@example.com", Subject: "Confirm", Text: "plain", HTML: "<p>html</p>", CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.ClaimDeliveries(ctx, "a", notifyT0, notifyT0.Add(time.Minute), 1, nil); err != nil {
			return err
		}
		_, err := tx.FinishDeliveries(ctx, "a", []store.DeliveryResult{{ID: d.ID, Status: store.DeliverySent, At: notifyT0, Mailbox: m}})
		return err
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		got, err := tx.FindDelivery(ctx, d.ID)
		if err != nil {
			return err
		}
		if got.Status != store.DeliverySent || len(got.Payload) != 0 || !got.SentAt.Equal(notifyT0) {
			t.Errorf("sent confirmation: got status %s payload %q sent %v, want sent with the token dropped", got.Status, got.Payload, got.SentAt)
		}
		list, err := tx.FindMailbox(ctx, 0, 10)
		if err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Fatalf("mailbox: got %v, %v", list, err)
		}
		one, err := tx.FindMailboxMessage(ctx, m.ID)
		if err != nil || one.HTML != m.HTML || one.Text != m.Text || one.To != m.To {
			t.Errorf("got %+v, %v, want %+v", one, err, m)
		}
		if _, err := tx.FindMailboxMessage(ctx, 999); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("missing message: got %v, want not found", err)
		}
		return nil
	})
}

// OldSubscriptions are subscriptions to one topic of account 111122223333
// as a store could hold them before an endpoint was kept to one live
// subscription: id, protocol, endpoint, status. Each store's migration test
// writes them there.
var OldSubscriptions = [][4]string{
	{"1", "email", "ops@example.com", store.SubscriptionPending},
	{"2", "email", "ops@example.com", store.SubscriptionConfirmed},
	{"3", "email", "ops@example.com", store.SubscriptionPending},
	{"4", "https", "https://hooks.example.com/a", store.SubscriptionPending},
	{"5", "https", "https://hooks.example.com/a", store.SubscriptionPending},
	{"6", "https", "https://hooks.example.com/b", store.SubscriptionConfirmed},
	{"7", "https", "https://hooks.example.com/b", store.SubscriptionUnsubscribed},
}

// SubscriptionsMigrated checks that s, opened on a store that held
// OldSubscriptions, keeps one live subscription of each endpoint (the
// confirmed one, else the oldest) and that the endpoint then refuses a
// second.
func SubscriptionsMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		subs, err := tx.FindSubscriptions(ctx, "111122223333", "")
		if err != nil {
			return err
		}
		var live []int64
		for _, sub := range subs {
			live = append(live, sub.ID)
		}
		if len(live) != 3 || live[0] != 2 || live[1] != 4 || live[2] != 6 {
			t.Errorf("live subscriptions after the migration: got %v, want [2 4 6]", live)
		}
		for _, id := range []int64{1, 3, 5, 7} {
			if sub, err := tx.FindSubscription(ctx, id); err != nil || sub.Status != store.SubscriptionUnsubscribed {
				t.Errorf("subscription %d: got %+v, %v, want it unsubscribed", id, sub, err)
			}
		}
		top, err := tx.FindTopicByAccount(ctx, "111122223333")
		if err != nil {
			return err
		}
		err = tx.CreateSubscription(ctx, &store.Subscription{TopicID: top.ID, AccountID: top.AccountID, Protocol: "email",
			Endpoint: "ops@example.com", Status: store.SubscriptionPending, Secret: "x", CreatedAt: notifyT0})
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("another subscription of ops@example.com: got %v, want conflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CreateOldSubscriptionsTopic makes the topic OldSubscriptions belong to and returns its id.
func CreateOldSubscriptionsTopic(t *testing.T, s store.Store) int64 {
	t.Helper()
	top := &store.Topic{AccountID: "111122223333", Name: "DataLakeSharingApproval", CreatedAt: notifyT0}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreateTopic(context.Background(), top) })
	return top.ID
}

// OldEmailSubscriptions are subscriptions to one topic of account
// 111122223333 as a store could hold them before email addresses were
// compared ignoring case: id, protocol, endpoint, status. Each store's
// migration test writes them there.
var OldEmailSubscriptions = [][4]string{
	{"1", "email", "Ops@example.com", store.SubscriptionPending},
	{"2", "email", "ops@example.com", store.SubscriptionConfirmed},
	{"3", "email", "OPS@EXAMPLE.COM", store.SubscriptionPending},
	{"4", "email", "ann@example.com", store.SubscriptionPending},
	{"5", "email", "Ann@Example.com", store.SubscriptionPending},
	{"6", "https", "https://hooks.example.com/A", store.SubscriptionPending},
	{"7", "https", "https://hooks.example.com/a", store.SubscriptionPending},
	{"8", "email", "bob@example.com", store.SubscriptionUnsubscribed},
	{"9", "email", "Bob@example.com", store.SubscriptionConfirmed},
}

// EmailSubscriptionsMigrated checks that s, opened on a store that held
// OldEmailSubscriptions, keeps one live subscription of each email address
// whatever its case (the confirmed one, else the oldest), spelled as it
// was, keeps webhook URLs that differ in case apart, and that an address
// then refuses a second subscription in another case.
func EmailSubscriptionsMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		subs, err := tx.FindSubscriptions(ctx, "111122223333", "")
		if err != nil {
			return err
		}
		var live []string
		for _, sub := range subs {
			live = append(live, fmt.Sprintf("%d %s", sub.ID, sub.Endpoint))
		}
		want := []string{"2 ops@example.com", "4 ann@example.com", "6 https://hooks.example.com/A", "7 https://hooks.example.com/a", "9 Bob@example.com"}
		if !slices.Equal(live, want) {
			t.Errorf("live subscriptions after the migration: got %q, want %q", live, want)
		}
		for _, id := range []int64{1, 3, 5, 8} {
			if sub, err := tx.FindSubscription(ctx, id); err != nil || sub.Status != store.SubscriptionUnsubscribed {
				t.Errorf("subscription %d: got %+v, %v, want it unsubscribed", id, sub, err)
			}
		}
		top, err := tx.FindTopicByAccount(ctx, "111122223333")
		if err != nil {
			return err
		}
		err = tx.CreateSubscription(ctx, &store.Subscription{TopicID: top.ID, AccountID: top.AccountID, Protocol: "email",
			Endpoint: "ANN@example.com", Status: store.SubscriptionPending, Secret: "x", CreatedAt: notifyT0})
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("another subscription of ANN@example.com: got %v, want conflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
