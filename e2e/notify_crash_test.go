package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestNotifyDeliverySurvivesKills kills `meshgate serve` with SIGKILL twice
// while it delivers webhooks and email to slow receivers (an httptest server
// and the in-process SMTP server), restarts it each time, and checks, on
// every store, that every queued message reached its receiver at least once,
// that the receivers saw exactly the queued message ids once deduped, and
// that every delivery ended as sent: nothing queued is lost. On PostgreSQL
// the restarted server takes over what the killed one held only when its
// leases end, so the leases are short here.
func TestNotifyDeliverySurvivesKills(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { testNotifyDeliverySurvivesKills(t, kind == "postgres") })
	}
}

func testNotifyDeliverySurvivesKills(t *testing.T, postgres bool) {
	var mu sync.Mutex
	seen := map[string]int{} // receipts by message id, webhook and email
	requests := make(chan struct{}, 10000)
	receive := func(id string) {
		time.Sleep(30 * time.Millisecond) // slow enough to be killed mid-delivery
		mu.Lock()
		seen[id]++
		mu.Unlock()
		select {
		case requests <- struct{}{}:
		default:
		}
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		receive(r.Header.Get("X-Meshgate-Message-Id"))
	}))
	defer rcv.Close()
	smtpd := notifytest.StartSMTP(t)
	smtpd.Discard = true
	smtpd.OnReceive = receive

	srv := startCrashServer(t, testbin.Options{Postgres: postgres, Args: []string{
		"--webhook-allow", "127.0.0.0/8",
		"--smtp-addr", smtpd.Addr, "--smtp-from", "meshgate@example.com", "--smtp-tls", "none",
		"--notify-timeout", "2s", "--notify-lease", "4s",
	}})
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	// each subscription queues its confirmation message
	const hooks, mails = 200, 100
	for i := range hooks + mails {
		in := client.SubscribeInput{AccountID: "111122223333", Protocol: "http", Endpoint: fmt.Sprintf("%s/hook/%d", rcv.URL, i)}
		if i >= hooks {
			in.Protocol, in.Endpoint = "email", fmt.Sprintf("approver%d@example.com", i)
		}
		if _, err := c.Subscribe(ctx, in); err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
	}
	for kill := range 2 {
		for range 20 * (kill + 1) {
			select {
			case <-requests:
			case <-time.After(30 * time.Second):
				t.Fatal("the receivers got no message")
			}
		}
		srv.Kill(t)
		srv.Restart(t)
		c = srv.Client()
	}

	deadline := time.Now().Add(60 * time.Second)
	var ds []client.Delivery
	for {
		pending, err := c.Deliveries(ctx, "pending", "", 1)
		if err == nil && len(pending) == 0 {
			if ds, err = c.Deliveries(ctx, "", "", 1000); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending a minute after the last restart (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(ds) != hooks+mails {
		t.Fatalf("got %d deliveries, want %d", len(ds), hooks+mails)
	}
	mu.Lock()
	defer mu.Unlock()
	again := 0
	queued := map[string]bool{}
	byProtocol := map[string]int{}
	for _, d := range ds {
		if queued[d.MessageID] {
			t.Errorf("message id %s queued twice", d.MessageID)
		}
		queued[d.MessageID] = true
		byProtocol[d.Protocol]++
		if d.Status != "sent" {
			t.Errorf("delivery %d (%s): got %s (%s), want sent", d.ID, d.MessageID, d.Status, d.LastError)
		}
		switch seen[d.MessageID] {
		case 0:
			t.Errorf("%s message %s never reached its receiver", d.Protocol, d.MessageID)
		case 1:
		default:
			again++
		}
	}
	if byProtocol["http"] != hooks || byProtocol["email"] != mails {
		t.Errorf("got deliveries by protocol %v, want %d http and %d email", byProtocol, hooks, mails)
	}
	// deduped on the message id, the receivers saw exactly what was queued
	for id := range seen {
		if !queued[id] {
			t.Errorf("the receivers got message id %q, which no delivery has", id)
		}
	}
	// at least once: a delivery cut off by a kill goes again, with the same id
	t.Logf("%d messages, %d received more than once across 2 kills", len(ds), again)
}
