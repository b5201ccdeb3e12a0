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
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestNotifyDeliverySurvivesKills kills `meshgate serve` with SIGKILL twice
// while it delivers webhooks to a slow receiver, restarts it each time, and
// checks that every queued message reached the receiver at least once and
// that every delivery ended as sent: nothing queued is lost.
func TestNotifyDeliverySurvivesKills(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	requests := make(chan struct{}, 10000)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond) // slow enough to be killed mid-delivery
		mu.Lock()
		seen[r.Header.Get("X-Meshgate-Message-Id")]++
		mu.Unlock()
		select {
		case requests <- struct{}{}:
		default:
		}
	}))
	defer rcv.Close()

	srv := startCrashServer(t, testbin.Options{Args: []string{"--webhook-allow", "127.0.0.0/8"}})
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	// each subscription queues its confirmation message
	const n = 300
	for i := range n {
		in := client.SubscribeInput{AccountID: "111122223333", Protocol: "http", Endpoint: fmt.Sprintf("%s/hook/%d", rcv.URL, i)}
		if _, err := c.Subscribe(ctx, in); err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
	}
	for kill := range 2 {
		for range 20 * (kill + 1) {
			select {
			case <-requests:
			case <-time.After(30 * time.Second):
				t.Fatal("the receiver got no request")
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
	if len(ds) != n {
		t.Fatalf("got %d deliveries, want %d", len(ds), n)
	}
	mu.Lock()
	defer mu.Unlock()
	again := 0
	for _, d := range ds {
		if d.Status != "sent" {
			t.Errorf("delivery %d (%s): got %s (%s), want sent", d.ID, d.MessageID, d.Status, d.LastError)
		}
		switch seen[d.MessageID] {
		case 0:
			t.Errorf("message %s never reached the receiver", d.MessageID)
		case 1:
		default:
			again++
		}
	}
	// at least once: a delivery cut off by a kill goes again, with the same id
	t.Logf("%d messages, %d received more than once across 2 kills", n, again)
}
