package notify_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// latencies records commit and receipt times by message id.
type latencies struct {
	mu       sync.Mutex
	commit   map[string]time.Time
	received map[string]time.Duration
}

func (l *latencies) committed(ids []string, at time.Time) {
	l.mu.Lock()
	for _, id := range ids {
		l.commit[id] = at
	}
	l.mu.Unlock()
}

func (l *latencies) receive(id string) {
	now := time.Now()
	l.mu.Lock()
	if c, ok := l.commit[id]; ok {
		if _, seen := l.received[id]; !seen {
			l.received[id] = now.Sub(c)
		}
	}
	l.mu.Unlock()
}

func (l *latencies) percentile(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ds := make([]time.Duration, 0, len(l.received))
	for _, d := range l.received {
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// benchDelivery publishes b.N messages to one confirmed subscription, in
// transactions of 50, while the sender loop runs, on SQLite with
// synchronous=FULL; it ends when every delivery is recorded as sent, and
// reports messages/s and the latency from commit to receipt.
// With rate > 0 it publishes at that many messages a second, in
// transactions of 10, to see latency below saturation.
func benchDelivery(b *testing.B, rate int, protocol, endpoint string, ch notify.Channel, setReceive func(func(string))) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := notify.NewService(st, notify.Options{LinkKey: []byte("k"), Channels: map[string]notify.Channel{protocol: ch}, Concurrency: 128})
	err = st.Update(ctx, func(tx store.Tx) error {
		if err := svc.CreateTopic(ctx, tx, &mesh.Account{ID: producer}); err != nil {
			return err
		}
		top, err := tx.FindTopicByAccount(ctx, producer)
		if err != nil {
			return err
		}
		return tx.CreateSubscription(ctx, &store.Subscription{TopicID: top.ID, AccountID: producer, Protocol: protocol, Endpoint: endpoint,
			Status: store.SubscriptionConfirmed, Secret: "s", CreatedAt: time.Now(), ConfirmedAt: time.Now()})
	})
	if err != nil {
		b.Fatal(err)
	}
	lat := &latencies{commit: map[string]time.Time{}, received: map[string]time.Duration{}}
	setReceive(lat.receive)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- svc.Sender().Run(runCtx) }()
	b.ResetTimer()
	start := time.Now()
	batch, tick := 50, time.Duration(0)
	if rate > 0 {
		batch, tick = 10, time.Second*10/time.Duration(rate)
	}
	for i := 0; i < b.N; i += batch {
		if tick > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i/batch) * tick)))
		}
		var ids []string
		err := st.Update(ctx, func(tx store.Tx) error {
			ids = ids[:0]
			for j := i; j < min(i+batch, b.N); j++ {
				id := fmt.Sprintf("bench-%d", j)
				ids = append(ids, id)
				if err := svc.Publish(ctx, tx, producer, notify.Message{ID: id, Subject: "Access request", Text: "Please decide on request " + id}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		lat.committed(ids, time.Now())
	}
	// done when every delivery's outcome is durable
	for {
		var pending []*store.Delivery
		err := st.View(ctx, func(tx store.Tx) error {
			var err error
			pending, err = tx.FindDeliveries(ctx, store.DeliveryFilter{Status: store.DeliveryPending, Limit: 1})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	<-done
	var sent int
	err = st.View(ctx, func(tx store.Tx) error {
		ds, err := tx.FindDeliveries(ctx, store.DeliveryFilter{Status: store.DeliverySent, Limit: b.N + 1})
		sent = len(ds)
		return err
	})
	lat.mu.Lock()
	received := len(lat.received)
	lat.mu.Unlock()
	if err != nil || sent != b.N || received != b.N {
		b.Fatalf("got %d sent, %d received (%v), want %d each", sent, received, err, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat.percentile(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat.percentile(0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkDeliveryWebhook: signed webhooks to a local receiver.
func BenchmarkDeliveryWebhook(b *testing.B) {
	rcv := notifytest.StartReceiver(b)
	rcv.Discard = true
	ch := webhook.New(webhook.Options{Allow: loopback})
	benchDelivery(b, 0, "http", rcv.URL, ch, func(f func(string)) { rcv.OnReceive = f })
}

// BenchmarkDeliveryWebhookPaced: webhooks published at 1,000 a second.
func BenchmarkDeliveryWebhookPaced(b *testing.B) {
	rcv := notifytest.StartReceiver(b)
	rcv.Discard = true
	ch := webhook.New(webhook.Options{Allow: loopback})
	benchDelivery(b, 1000, "http", rcv.URL, ch, func(f func(string)) { rcv.OnReceive = f })
}

// BenchmarkDeliveryEmail: email over SMTP to a local sink.
func BenchmarkDeliveryEmail(b *testing.B) {
	srv := notifytest.StartSMTP(b)
	srv.Discard = true
	ch, err := email.New(email.Config{Addr: srv.Addr, From: "meshgate@example.com", TLS: email.TLSNone})
	if err != nil {
		b.Fatal(err)
	}
	benchDelivery(b, 0, "email", "ops@example.com", ch, func(f func(string)) { srv.OnReceive = f })
}

// BenchmarkDeliveryEmailPaced: email published at 250 a second.
func BenchmarkDeliveryEmailPaced(b *testing.B) {
	srv := notifytest.StartSMTP(b)
	srv.Discard = true
	ch, err := email.New(email.Config{Addr: srv.Addr, From: "meshgate@example.com", TLS: email.TLSNone})
	if err != nil {
		b.Fatal(err)
	}
	benchDelivery(b, 250, "email", "ops@example.com", ch, func(f func(string)) { srv.OnReceive = f })
}
