package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestWebhookHandshake: the receiver gets a signed confirmation, echoes its
// token back, and then receives signed notifications; nothing but the
// confirmation reaches it before.
func TestWebhookHandshake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		rcv := notifytest.StartReceiver(t)
		rcv.Now = f.clock.Now
		var confirmErr error
		rcv.OnConfirm = func(b webhook.Body) { _, confirmErr = f.svc.Confirm(context.Background(), b.Token) }
		sub, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: rcv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		if len(sub.SigningSecret) != 64 {
			t.Fatalf("got secret %q, want 64 hex digits", sub.SigningSecret)
		}
		rcv.Secret.Store(sub.SigningSecret)
		f.publish(t, msg("early"))
		f.sendAll(t)
		got := rcv.Received()
		if len(got) != 1 || got[0].Body.Type != webhook.TypeConfirmation {
			t.Fatalf("got %d requests, want only the confirmation", len(got))
		}
		c := got[0]
		if !c.Verified || c.Body.SubscribeURL == "" || c.Body.SubscriptionID != sub.ID || c.Header.Get(webhook.HeaderMessageType) != webhook.TypeConfirmation {
			t.Errorf("confirmation: verified %v body %+v", c.Verified, c.Body)
		}
		if confirmErr != nil {
			t.Fatalf("echo the token: %v", confirmErr)
		}
		f.publish(t, msg("m-1"))
		f.sendAll(t)
		got = rcv.Received()
		if len(got) != 2 {
			t.Fatalf("got %d requests, want 2", len(got))
		}
		n := got[1]
		if !n.Verified || n.Body.Type != webhook.TypeNotification || n.Body.MessageID != "m-1" || n.Header.Get(webhook.HeaderMessageID) != "m-1" ||
			string(n.Body.Data) != `{"request":"m-1"}` || !strings.HasPrefix(n.Body.UnsubscribeURL, "https://mesh.example.com/api/v1/subscriptions/") {
			t.Errorf("notification: verified %v body %+v", n.Verified, n.Body)
		}
		// a body changed in transit, or another secret, fails verification
		if err := webhook.Verify(sub.SigningSecret, n.Header, append(n.Raw, ' '), t0, time.Minute); err == nil {
			t.Error("a changed body verified")
		}
		if err := webhook.Verify("other", n.Header, n.Raw, t0, time.Minute); err == nil {
			t.Error("another secret verified")
		}
		if err := webhook.Verify(sub.SigningSecret, n.Header, n.Raw, t0.Add(10*time.Minute), 5*time.Minute); err == nil {
			t.Error("a replay ten minutes later verified")
		}
	})
}

// TestWebhookDeadLetter: a receiver answering 500 gets the first attempt and
// every retry of the policy at its times, then the delivery is
// dead-lettered; an admin's retry sends it again.
func TestWebhookDeadLetter(t *testing.T) {
	policy := notify.RetryPolicy{Pre: 1, PreDelay: 10 * time.Second, Backoff: 2, MinDelay: 20 * time.Second, MaxDelay: 80 * time.Second, Post: 1, PostDelay: 100 * time.Second}
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", policy)
		rcv := notifytest.StartReceiver(t)
		rcv.OnConfirm = func(b webhook.Body) { f.svc.Confirm(context.Background(), b.Token) }
		if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: rcv.URL}); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		rcv.Status.Store(http.StatusInternalServerError)
		f.publish(t, msg("m-1"))
		f.sendAll(t)
		for i, delay := range []time.Duration{10 * time.Second, 20 * time.Second, 80 * time.Second, 100 * time.Second} {
			f.clock.Add(delay - time.Second)
			f.sendAll(t)
			if got := rcv.Count(); got != int64(2+i) {
				t.Fatalf("retry %d: got %d requests a second early, want %d", i+1, got, 2+i)
			}
			f.clock.Add(time.Second)
			f.sendAll(t)
			if got := rcv.Count(); got != int64(3+i) {
				t.Fatalf("retry %d: got %d requests, want %d", i+1, got, 3+i)
			}
		}
		failed := f.deliveries(t, store.DeliveryFailed)
		if len(failed) != 1 || failed[0].Attempts != 5 || !strings.Contains(failed[0].LastError, "500") {
			t.Fatalf("dead letters: got %+v, want m-1 after 5 attempts", failed)
		}
		f.clock.Add(time.Hour)
		f.sendAll(t)
		if got := rcv.Count(); got != 6 {
			t.Errorf("got %d requests, want none after the dead letter", got)
		}
		if _, err := f.svc.RetryDelivery(producerAdmin(), failed[0].ID); err != nil {
			t.Fatalf("retry by the account's admin: %v", err)
		}
		rcv.Status.Store(0)
		f.sendAll(t)
		if got := f.deliveries(t, store.DeliverySent); len(got) != 2 || rcv.Count() != 7 {
			t.Errorf("after retry: %d sent, %d requests, want 2 and 7", len(got), rcv.Count())
		}
		if _, err := f.svc.RetryDelivery(admin(), failed[0].ID); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("retry of a sent delivery: got %v, want conflict", err)
		}
	})
}

// TestWebhookSlack: a Slack subscription gets {"text": ...} with the links
// in Slack's form.
func TestWebhookSlack(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.SNSEmailPolicy)
	rcv := notifytest.StartReceiver(t)
	if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: rcv.URL, Slack: true}); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	got := rcv.Received()
	if len(got) != 1 {
		t.Fatalf("got %d requests, want 1", len(got))
	}
	var body map[string]string
	if err := json.Unmarshal(got[0].Raw, &body); err != nil || len(body) != 1 {
		t.Fatalf("got %s, want only a text field", got[0].Raw)
	}
	if !strings.Contains(body["text"], "|Confirm subscription>") || !strings.Contains(body["text"], "|Unsubscribe>") {
		t.Errorf("got %q, want the confirm and unsubscribe links", body["text"])
	}
}

// TestWebhookEndpoints: bad URLs and internal addresses are refused at
// subscribe with the reason; an endpoint that resolves to an internal
// address only at delivery time is dead-lettered, not called.
func TestWebhookEndpoints(t *testing.T) {
	strict := webhook.New(webhook.Options{})
	for _, tc := range []struct{ endpoint, want string }{
		{"ftp://example.com/x", "http or https"},
		{"https://", "no host"},
		{"https://user:pw@example.com/", "user or password"},
		{"http://127.0.0.1:8080/hook", "loopback or private"},
		{"http://10.1.2.3/hook", "loopback or private"},
		{"http://169.254.169.254/latest/meta-data", "loopback or private"},
		{"http://[::1]/hook", "loopback or private"},
		{"http://[::ffff:192.168.0.1]/hook", "loopback or private"},
		{"http://localhost/hook", "loopback or private"},
		{"https://example.com:99999/", "port"},
		{"not a url", "http or https"},
	} {
		_, err := strict.ValidateEndpoint(context.Background(), tc.endpoint)
		if !mesh.IsCode(err, mesh.EINVALID) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want invalid naming %q", tc.endpoint, err, tc.want)
		}
	}
	if got, err := strict.ValidateEndpoint(context.Background(), "https://93.184.215.14/hook"); err != nil || got != "https://93.184.215.14/hook" {
		t.Errorf("a public address: got %q, %v", got, err)
	}

	// subscribed while allowed, delivered by a sender that refuses loopback
	st := storetest.OpenSQLite(t, nil)
	f := newFixture(t, st, "", notify.SNSEmailPolicy)
	rcv := notifytest.StartReceiver(t)
	if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: rcv.URL}); err != nil {
		t.Fatal(err)
	}
	sender := notify.NewService(st, notify.Options{LinkKey: []byte("k"), Clock: f.clock, Channels: map[string]notify.Channel{"http": strict}})
	if _, err := sender.SendOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rcv.Count() != 0 {
		t.Error("the sender called a loopback endpoint")
	}
	failed := f.deliveries(t, store.DeliveryFailed)
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "loopback or private") {
		t.Errorf("got %+v, want the confirmation dead-lettered naming the reason", failed)
	}

	// email addresses and protocols
	for _, in := range []notify.SubscribeInput{
		{AccountID: producer, Protocol: "email", Endpoint: "not an address"},
		{AccountID: producer, Protocol: "sms", Endpoint: "+15550100"},
		{AccountID: producer, Protocol: "email", Endpoint: "a@example.com", Slack: true},
	} {
		if _, err := f.svc.Subscribe(admin(), in); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("%+v: got %v, want invalid", in, err)
		}
	}
}

// TestWebhookProtocolIsTheEndpointsScheme: a subscription of protocol
// https takes an https:// endpoint only, and one of protocol http an
// http:// one, as SNS has it; an https subscription with an http:// URL
// was stored and delivered over plain HTTP, links that decide included.
func TestWebhookProtocolIsTheEndpointsScheme(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.SNSEmailPolicy)
	rcv := notifytest.StartReceiver(t) // http://127.0.0.1:port
	for _, c := range []struct{ protocol, endpoint string }{
		{"https", rcv.URL + "/hook"},
		{"http", strings.Replace(rcv.URL, "http://", "https://", 1) + "/hook"},
	} {
		sub, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: c.protocol, Endpoint: c.endpoint})
		if !mesh.IsCode(err, mesh.EINVALID) || !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("protocol %s with %s: got %+v, %v; want invalid, naming endpoint", c.protocol, c.endpoint, sub, err)
		}
	}
	f.sendAll(t)
	if n := rcv.Count(); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
}

// TestWebhookURLNotAudited: the audit entries of a webhook subscription,
// the one ending an unconfirmed subscription of the same URL among them,
// name the URL by scheme and host, without the path and query where its
// secret travels.
func TestWebhookURLNotAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		rcv := notifytest.StartReceiver(t)
		endpoint := rcv.URL + "/services/T000/B000/SECRETPATH?token=SECRETQUERY"
		first, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: endpoint})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(notify.ConfirmationTTL + time.Hour)
		second, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: endpoint})
		if err != nil {
			t.Fatalf("subscribe again once the link expired: %v", err)
		}
		if _, err := f.svc.Unsubscribe(admin(), second.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		err = f.st.View(context.Background(), func(tx store.Tx) error {
			es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: "notify.*", Limit: 100})
			for _, e := range es {
				n++
				if strings.Contains(e.Detail, "SECRET") || !strings.Contains(e.Detail, rcv.URL+" (sha256:") {
					t.Errorf("%s %s: got detail %q, want %s and a digest, without the path or query", e.Action, e.Resource, e.Detail, rcv.URL)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 { // subscribe, the first's end, subscribe, unsubscribe
			t.Errorf("got %d entries, want 4 (subscriptions %d and %d)", n, first.ID, second.ID)
		}
	})
}

// TestWebhookSignedAsDocumented: a receiver that knows only what the README
// says, its verify function copied from there, checks meshgate's webhooks:
// JSON of the documented fields, the documented headers, and
// X-Meshgate-Signature "v1=" and the hex HMAC-SHA256 of the timestamp, a
// "." and the raw body, keyed with the signing secret shown at subscribing.
// webhook.Verify, which the other tests use, shares its code with the
// signer and would not notice the two drifting from the README together.
func TestWebhookSignedAsDocumented(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.SNSEmailPolicy)
	rcv := notifytest.StartReceiver(t)
	rcv.OnConfirm = func(b webhook.Body) { f.svc.Confirm(context.Background(), b.Token) }
	sub, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: rcv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	f.publish(t, msg("m-1"))
	f.sendAll(t)
	got := rcv.Received()
	if len(got) != 2 {
		t.Fatalf("got %d requests, want the confirmation and m-1", len(got))
	}
	for i, wantType := range []string{"SubscriptionConfirmation", "Notification"} {
		r := got[i]
		if !readmeVerify(sub.SigningSecret, r.Header, r.Raw, t0) {
			t.Errorf("%s: the README's verify refuses signature %q over timestamp %q", wantType, r.Header.Get("X-Meshgate-Signature"), r.Header.Get("X-Meshgate-Timestamp"))
		}
		if readmeVerify(sub.SigningSecret, r.Header, r.Raw, t0.Add(6*time.Minute)) {
			t.Errorf("%s: the README's verify takes it six minutes later", wantType)
		}
		if readmeVerify(sub.SigningSecret+"0", r.Header, r.Raw, t0) {
			t.Errorf("%s: verified with another secret", wantType)
		}
		if r.Header.Get("X-Meshgate-Message-Type") != wantType || r.Header.Get("X-Meshgate-Message-Id") == "" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: got headers %v", wantType, r.Header)
		}
		var body map[string]any
		if err := json.Unmarshal(r.Raw, &body); err != nil {
			t.Fatalf("%s: body %s: %v", wantType, r.Raw, err)
		}
		want := []string{"type", "message_id", "timestamp", "account_id", "topic", "subscription_id", "subject", "message", "unsubscribe_url"}
		if wantType == "SubscriptionConfirmation" {
			want = append(want, "token", "subscribe_url")
		} else {
			want = append(want, "data", "links")
		}
		for _, k := range want {
			if _, ok := body[k]; !ok {
				t.Errorf("%s: body lacks %q: %s", wantType, k, r.Raw)
			}
		}
		if body["type"] != wantType || body["message_id"] != r.Header.Get("X-Meshgate-Message-Id") {
			t.Errorf("%s: got type %v, message id %v", wantType, body["type"], body["message_id"])
		}
	}
}

// readmeVerify is the README's verify, with now for time.Now.
func readmeVerify(secret string, h http.Header, body []byte, now time.Time) bool {
	ts := h.Get("X-Meshgate-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(now.Sub(time.Unix(sec, 0)).Seconds()) > 300 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "v1=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.Get("X-Meshgate-Signature")))
}

// TestWebhookRedirectNotFollowed: an endpoint that answers with a redirect
// (a 307 would have the POST repeated, body and signature with it) fails
// the attempt, naming the status; the place it points at, which the
// address checks at subscribing never saw, is not called.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", notify.RetryPolicy{})
	target := notifytest.StartReceiver(t)
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusFound} {
		redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", status))
		t.Cleanup(redirect.Close)
		if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "http", Endpoint: redirect.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
	}
	f.sendAll(t)
	if n := target.Count(); n != 0 {
		t.Errorf("the redirect's target got %d requests, want none", n)
	}
	failed := f.deliveries(t, store.DeliveryFailed)
	if len(failed) != 2 {
		t.Fatalf("got %d dead letters, want both confirmations", len(failed))
	}
	for _, d := range failed {
		if !strings.Contains(d.LastError, "307") && !strings.Contains(d.LastError, "302") {
			t.Errorf("delivery %d: got last error %q, want the redirect's status", d.ID, d.LastError)
		}
	}
}

// TestWebhookHTTPSNotSentInClear: an https subscription stored, before
// subscribing checked that the endpoint has its protocol's scheme, with an
// http:// endpoint (written here through the store, as Subscribe wrote it
// then) receives nothing over plain HTTP, neither a notification, approval
// links and signature included, nor a confirmation, nor a dead letter's
// retry: each attempt is dead-lettered at once, counted, its error naming
// the subscription and how to fix it (without the URL's path and query).
// An http subscription of the same receiver still gets its messages.
func TestWebhookHTTPSNotSentInClear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st, "", notify.SNSEmailPolicy)
		rcv := notifytest.StartReceiver(t) // http://127.0.0.1:port
		legacy := func(protocol, path, status string) *store.Subscription {
			t.Helper()
			sub := &store.Subscription{AccountID: producer, Protocol: protocol, Endpoint: rcv.URL + path, Status: status,
				TokenHash: "token-of-" + path, TokenExpires: t0.Add(notify.ConfirmationTTL), Secret: "s3cret", CreatedBy: "user:root", CreatedAt: t0}
			f.update(t, func(tx store.Tx) error {
				top, err := tx.FindTopicByAccount(context.Background(), producer)
				if err != nil {
					return err
				}
				sub.TopicID = top.ID
				return tx.CreateSubscription(context.Background(), sub)
			})
			return sub
		}
		confirmed := legacy("https", "/hook?token=SECRETQUERY", store.SubscriptionConfirmed)
		pending := legacy("https", "/pending", store.SubscriptionPending)
		plain := legacy("http", "/plain", store.SubscriptionConfirmed)
		f.update(t, func(tx store.Tx) error {
			// the pending one's confirmation, as Subscribe queued it
			return tx.InsertDeliveries(context.Background(), []*store.Delivery{{MessageID: "confirm-legacy", SubscriptionID: pending.ID,
				Kind: notify.KindConfirmation, Protocol: pending.Protocol, Endpoint: pending.Endpoint, Subject: "Confirm",
				Payload: []byte(`{"message":{"id":"confirm-legacy","subject":"Confirm","text":"Confirm."},"token":"t0k3n"}`), NextAttempt: t0, CreatedAt: t0}})
		})
		f.publish(t, msg("approval-request-1"))
		f.sendAll(t)
		got := rcv.Received()
		if len(got) != 1 || got[0].Body.SubscriptionID != plain.ID {
			t.Fatalf("got %d requests, want only the http subscription's notification", len(got))
		}
		failed := f.deliveries(t, store.DeliveryFailed)
		if len(failed) != 2 {
			t.Fatalf("got %d dead letters, want the https subscriptions' 2", len(failed))
		}
		for _, d := range failed {
			want := fmt.Sprintf("subscription %d", d.SubscriptionID)
			if d.Attempts != 1 || !strings.Contains(d.LastError, want) || !strings.Contains(d.LastError, "https://") ||
				!strings.Contains(d.LastError, rcv.URL+" (sha256:") || strings.Contains(d.LastError, "SECRET") {
				t.Errorf("delivery %d (%s): got %d attempts, last error %q; want 1, naming %s, its endpoint without path or query, and https://",
					d.ID, d.Kind, d.Attempts, d.LastError, want)
			}
		}
		if _, err := f.svc.RetryDelivery(admin(), failed[0].ID); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		if n := rcv.Count(); n != 1 {
			t.Errorf("after a retry: the receiver got %d requests, want 1", n)
		}
		counts := gathered(t, f.svc.Metrics())
		for key, want := range map[string]float64{
			"meshgate_notify_deliveries_dead_lettered_total/https": 3,
			"meshgate_notify_deliveries_sent_total/https":          0,
			"meshgate_notify_deliveries_sent_total/http":           1,
		} {
			if counts[key] != want {
				t.Errorf("%s: got %v, want %v", key, counts[key], want)
			}
		}
		if sub, err := f.svc.FindSubscription(admin(), confirmed.ID); err != nil || sub.Status != store.SubscriptionConfirmed {
			t.Errorf("subscription %d: got %+v, %v; want it kept as it was", confirmed.ID, sub, err)
		}
	})
}
