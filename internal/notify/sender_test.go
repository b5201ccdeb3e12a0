package notify_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// confirmed subscribes endpoint over http and confirms it through the token
// of the stored confirmation.
func (f *fixture) confirmed(t *testing.T, endpoint string) {
	t.Helper()
	sub, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	f.update(t, func(tx store.Tx) error {
		// the confirmation is taken out of the queue: it is confirmed here
		ds, err := tx.ClaimDeliveries(context.Background(), "test", f.clock.Now(), f.clock.Now().Add(time.Hour), 100, nil)
		var rs []store.DeliveryResult
		for _, d := range ds {
			if d.SubscriptionID == sub.ID {
				token = tokenOf(t, string(d.Payload))
			}
			rs = append(rs, store.DeliveryResult{ID: d.ID, Status: store.DeliverySent, At: f.clock.Now()})
		}
		if err == nil {
			_, err = tx.FinishDeliveries(context.Background(), "test", rs)
		}
		return err
	})
	if _, err := f.svc.Confirm(context.Background(), token); err != nil {
		t.Fatal(err)
	}
}

// TestSlowReceiverDoesNotHoldOthers: with a receiver that never answers and
// more messages for it than the sender has slots, the sender loop still
// delivers to another receiver at once.
func TestSlowReceiverDoesNotHoldOthers(t *testing.T) {
	st := storetest.OpenSQLite(t, nil)
	f := newFixture(t, st, "", notify.SNSEmailPolicy)
	wh := webhook.New(webhook.Options{Allow: loopback})
	f.svc = notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Concurrency: 16, Timeout: time.Minute, Clock: f.clock,
		Channels: map[string]notify.Channel{"http": wh}})
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	fast := notifytest.StartReceiver(t)
	f.confirmed(t, slow.URL)
	f.confirmed(t, fast.URL)
	for i := range 100 {
		f.publish(t, msg("m-"+strconv.Itoa(i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.svc.Sender().Run(ctx) }()
	got := fast.WaitFor(100, 10*time.Second)
	cancel()
	<-done
	if len(got) != 100 {
		t.Errorf("the fast receiver got %d of 100 while the slow one hung", len(got))
	}
}

// TestOffboardedTopic: offboarding stops publishing to the account's topic,
// delivers what was queued, then removes the topic and its subscriptions.
func TestOffboardedTopic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		rcv := notifytest.StartReceiver(t)
		f.confirmed(t, rcv.URL)
		f.publish(t, msg("queued"))
		var affected []string
		f.update(t, func(tx store.Tx) error {
			var err error
			affected, err = f.svc.Offboard(context.Background(), tx, producer, "")
			return err
		})
		if len(affected) != 1 {
			t.Errorf("got affected %v, want the topic", affected)
		}
		f.publish(t, msg("after"))
		f.sendAll(t)
		got := rcv.Received()
		if len(got) != 1 || got[0].Body.MessageID != "queued" {
			t.Fatalf("got %d requests, want only the queued message", len(got))
		}
		topics, err := f.svc.FindTopics(admin(), "")
		if err != nil || len(topics) != 0 {
			t.Errorf("topics: got %v, %v, want none", topics, err)
		}
		f.update(t, func(tx store.Tx) error {
			n, err := tx.PurgeDeletedTopics(context.Background())
			if n != 1 {
				t.Errorf("purged %d topics, want 1", n)
			}
			return err
		})
	})
}

// TestAuthorization: mesh admins and the account's admins manage its
// subscriptions; other users do not.
func TestAuthorization(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.SNSEmailPolicy)
	in := notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "a@example.com"}
	member := mesh.NewContext(context.Background(), &mesh.Actor{Username: "bob", AccountID: producer, CentralAccountID: "central", Roles: []string{mesh.RoleMember}})
	otherAdmin := mesh.NewContext(context.Background(), &mesh.Actor{Username: "eve", AccountID: "222233334444", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}})
	for name, ctx := range map[string]context.Context{"member": member, "another account's admin": otherAdmin} {
		if _, err := f.svc.Subscribe(ctx, in); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("%s subscribes: got %v, want forbidden", name, err)
		}
		if _, err := f.svc.FindSubscriptions(ctx, producer); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("%s lists: got %v, want forbidden", name, err)
		}
	}
	sub, err := f.svc.Subscribe(producerAdmin(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Subscribe(admin(), in); !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("the same endpoint again: got %v, want conflict", err)
	}
	subs, err := f.svc.FindSubscriptions(producerAdmin(), "")
	if err != nil || len(subs) != 1 {
		t.Errorf("own subscriptions: got %v, %v", subs, err)
	}
	if _, err := f.svc.Unsubscribe(otherAdmin, sub.ID); !mesh.IsCode(err, mesh.EFORBIDDEN) {
		t.Errorf("another account's admin unsubscribes: got %v, want forbidden", err)
	}
	if _, err := f.svc.Unsubscribe(producerAdmin(), sub.ID); err != nil {
		t.Errorf("unsubscribe: %v", err)
	}
}

// TestConfirmationExpires: the confirmation link is valid for 3 days; then
// subscribing the endpoint again, as the error says, ends the unconfirmed
// subscription and starts a new one, whose link confirms it.
func TestConfirmationExpires(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.SNSEmailPolicy)
	ctx := context.Background()
	in := notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "a@example.com"}
	first, err := f.svc.Subscribe(admin(), in)
	if err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	box, _ := f.svc.FindMailbox(admin(), 0, 1)
	f.clock.Add(notify.ConfirmationTTL)
	_, err = f.svc.Confirm(ctx, tokenOf(t, box[0].Text))
	if !mesh.IsCode(err, mesh.EINVALID) || !strings.Contains(err.Error(), "subscribe again") {
		t.Fatalf("after 3 days: got %v, want invalid, saying to subscribe again", err)
	}
	again, err := f.svc.Subscribe(admin(), in)
	if err != nil {
		t.Fatalf("subscribe again after the link expired: %v", err)
	}
	if old, err := f.svc.FindSubscription(admin(), first.ID); err != nil || old.Status != store.SubscriptionUnsubscribed {
		t.Errorf("the expired subscription: got %+v, %v; want it unsubscribed", old, err)
	}
	if es := auditActions(t, f, "subscription/"+strconv.FormatInt(first.ID, 10)); !slices.Contains(es, "notify.unsubscribe") {
		t.Errorf("the expired subscription's audit: got %v, want its end", es)
	}
	f.sendAll(t)
	box, _ = f.svc.FindMailbox(admin(), 0, 1)
	sub, err := f.svc.Confirm(ctx, tokenOf(t, box[0].Text))
	if err != nil || sub.ID != again.ID || sub.Status != store.SubscriptionConfirmed {
		t.Errorf("confirm the new subscription: got %+v, %v", sub, err)
	}
	if _, err := f.svc.Subscribe(admin(), in); !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("subscribe a confirmed endpoint again: got %v, want conflict", err)
	}
}

// TestEmailAddressIgnoresCase: an email address subscribed in one case is
// subscribed in every other, and keeps the spelling it was subscribed with;
// subscribing it in another case once its link expired replaces it. A
// webhook URL keeps its case.
func TestEmailAddressIgnoresCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		first, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "Ops@Example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if first.Endpoint != "Ops@Example.com" {
			t.Errorf("endpoint: got %q, want it as it was typed", first.Endpoint)
		}
		for _, addr := range []string{"ops@example.com", "OPS@EXAMPLE.COM"} {
			_, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: addr})
			if !mesh.IsCode(err, mesh.ECONFLICT) {
				t.Errorf("%s while Ops@Example.com is subscribed: got %v, want conflict", addr, err)
			}
		}
		f.clock.Add(notify.ConfirmationTTL)
		again, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "ops@example.com"})
		if err != nil {
			t.Fatalf("ops@example.com once the link of Ops@Example.com expired: %v", err)
		}
		if old, err := f.svc.FindSubscription(admin(), first.ID); err != nil || old.Status != store.SubscriptionUnsubscribed {
			t.Errorf("the expired subscription: got %+v, %v; want it unsubscribed", old, err)
		}
		for _, u := range []string{"http://127.0.0.1:9/Hook", "http://127.0.0.1:9/hook"} {
			if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: u}); err != nil {
				t.Errorf("webhook %s: %v", u, err)
			}
		}
		subs, err := f.svc.FindSubscriptions(admin(), producer)
		if err != nil || len(subs) != 3 || subs[0].ID != again.ID {
			t.Errorf("subscriptions: got %v, %v, want ops@example.com and the two webhooks", subs, err)
		}
	})
}

// TestSimultaneousSubscribesKeepOne: subscribing one endpoint from several
// callers at once, some typing the address in another case, stores one
// subscription, and the others are told it is
// subscribed already. On PostgreSQL their checks ran side by side and could
// all pass.
func TestSimultaneousSubscribesKeepOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		in := notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "ops@example.com"}
		const callers = 8
		warmPool(t, st, callers)
		errs := make(chan error, callers)
		start := make(chan struct{})
		for i := range callers {
			in := in
			if i%2 == 1 { // typed in another case: the same address
				in.Endpoint = strings.ToUpper(in.Endpoint)
			}
			go func() {
				<-start
				_, err := f.svc.Subscribe(admin(), in)
				errs <- err
			}()
		}
		close(start)
		made := 0
		for range callers {
			switch err := <-errs; {
			case err == nil:
				made++
			case !mesh.IsCode(err, mesh.ECONFLICT):
				t.Errorf("got %v, want it made or a conflict", err)
			}
		}
		subs, err := f.svc.FindSubscriptions(admin(), producer)
		if made != 1 || err != nil || len(subs) != 1 {
			t.Errorf("got %d made and %d stored (%v), want one", made, len(subs), err)
		}
	})
}

// warmPool opens n of the store's connections at once, so that n
// transactions begun next run side by side rather than one while the others
// connect. A store with fewer connections waits a fifth of a second for them.
func warmPool(t *testing.T, st store.Store, n int) {
	t.Helper()
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var done sync.WaitGroup
	for range n {
		done.Go(func() {
			st.View(context.Background(), func(tx store.Tx) error {
				_, err := tx.FindTopicByAccount(context.Background(), producer)
				arrived.Done()
				select {
				case <-all:
				case <-time.After(200 * time.Millisecond):
				}
				return err
			})
		})
	}
	done.Wait()
}

// TestLongErrorTextStaysText: a failed attempt's error longer than the
// 1000 bytes kept, with a character of several bytes across the cut, is
// recorded as one attempt with text that is still UTF-8. It was cut in the
// middle of the character: PostgreSQL refused the whole batch of results,
// and the delivery was sent again each time its lease ran out, its attempts
// never counted.
func TestLongErrorTextStaysText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		// a receiver whose status line's reason is long: the error repeats it
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		endpoint := "http://" + ln.Addr().String() + "/hook"
		prefix := "webhook: " + mesh.RedactURL(endpoint) + " answered 503 "
		reason := strings.Repeat("a", 999-len(prefix)) + strings.Repeat("é", 100)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					http.ReadRequest(bufio.NewReader(c))
					io.WriteString(c, "HTTP/1.1 503 "+reason+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				}()
			}
		}()
		f.confirmed(t, endpoint)
		f.publish(t, msg("m-1"))
		if _, err := f.svc.SendOnce(context.Background()); err != nil {
			t.Fatalf("record the failed attempt: %v", err)
		}
		ds := f.deliveries(t, store.DeliveryPending)
		if len(ds) != 1 || ds[0].Attempts != 1 || !utf8.ValidString(ds[0].LastError) || !strings.HasPrefix(ds[0].LastError, "webhook: ") {
			t.Fatalf("got %+v, want m-1 pending after one attempt, its error valid text", ds)
		}
	})
}

// TestUnsubscribedWhileWaiting: a message claimed while its endpoint's one
// slot was busy waits in the sender; if its subscription ends meanwhile it
// is not delivered, as Unsubscribe promises: it is prepared again from the
// store before its attempt, where it went out as it was claimed.
func TestUnsubscribedWhileWaiting(t *testing.T) {
	st := storetest.OpenSQLite(t, nil)
	f := newFixture(t, st, "", notify.SNSEmailPolicy)
	wh := webhook.New(webhook.Options{Allow: loopback})
	f.svc = notify.NewService(st, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Concurrency: 4, PerEndpoint: 1,
		Timeout: 5 * time.Second, Clock: f.clock, Channels: map[string]notify.Channel{"http": wh}})
	release := make(chan struct{})
	arrived := make(chan string, 10)
	var n atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.Header.Get(webhook.HeaderMessageID)
		if n.Add(1) == 1 {
			<-release // the first request is slow
		}
	}))
	defer hook.Close()
	f.confirmed(t, hook.URL)
	subs, err := f.svc.FindSubscriptions(admin(), producer)
	if err != nil || len(subs) != 1 {
		t.Fatal(subs, err)
	}
	f.publish(t, msg("m-1"))
	f.publish(t, msg("m-2"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.svc.Sender().Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first message never arrived")
	}
	if _, err := f.svc.Unsubscribe(admin(), subs[0].ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	select {
	case id := <-arrived:
		t.Fatalf("message %s reached the endpoint of subscription %d after it was unsubscribed", id, subs[0].ID)
	case <-time.After(2 * time.Second):
	}
}
