package notify_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/webhook"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestDeliveriesCounted: the sender counts, by protocol, the deliveries it
// sent (a confirmation to the built-in mailbox, a message to a real local
// receiver), the attempts that failed and the deliveries dead-lettered (a
// receiver answering 503 until the retries run out), once their outcomes
// are recorded: outcomes whose transaction rolls back count nothing, and
// count once when the deliveries go again. The outbox gauges read the store.
func TestDeliveriesCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		rs := &rollbackStore{Store: s}
		f := newFixture(t, rs, "", notify.RetryPolicy{Pre: 1, PreDelay: 10 * time.Second})
		var hits atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				rs.fail.Store(true) // the first outcomes recorded are rolled back
			}
		}))
		defer up.Close()
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer down.Close()
		f.confirmed(t, up.URL)
		f.confirmed(t, down.URL)
		if _, err := f.svc.Subscribe(admin(), notify.SubscribeInput{AccountID: producer, Protocol: "email", Endpoint: "ann@example.com"}); err != nil {
			t.Fatal(err)
		}
		f.publish(t, msg("m1"))
		want := map[string]float64{
			"meshgate_notify_deliveries_sent_total/email": 0, "meshgate_notify_deliveries_sent_total/http": 0, "meshgate_notify_deliveries_sent_total/https": 0,
			"meshgate_notify_delivery_attempts_failed_total/email": 0, "meshgate_notify_delivery_attempts_failed_total/http": 0, "meshgate_notify_delivery_attempts_failed_total/https": 0,
			"meshgate_notify_deliveries_dead_lettered_total/email": 0, "meshgate_notify_deliveries_dead_lettered_total/http": 0, "meshgate_notify_deliveries_dead_lettered_total/https": 0,
			"meshgate_notify_deliveries_waiting": 3, "meshgate_notify_deliveries_dead_letters": 0,
		}
		if _, err := f.svc.SendOnce(context.Background()); !errors.Is(err, errRolledBack) {
			t.Fatalf("send with its outcomes rolled back: got %v, want %v", err, errRolledBack)
		}
		rs.fail.Store(false)
		if got := gathered(t, f.svc.Metrics()); !maps.Equal(got, want) {
			t.Errorf("after the outcomes rolled back:\ngot  %v\nwant %v", got, want)
		}

		f.clock.Add(notify.DefaultLease) // the leases of the rolled-back attempts expire
		f.sendAll(t)
		want["meshgate_notify_deliveries_sent_total/email"] = 1
		want["meshgate_notify_deliveries_sent_total/http"] = 1
		want["meshgate_notify_delivery_attempts_failed_total/http"] = 1
		want["meshgate_notify_deliveries_waiting"] = 1
		if got := gathered(t, f.svc.Metrics()); !maps.Equal(got, want) {
			t.Errorf("after the first attempts:\ngot  %v\nwant %v", got, want)
		}

		f.clock.Add(10 * time.Second)
		f.sendAll(t)
		if ds := f.deliveries(t, store.DeliveryFailed); len(ds) != 1 || ds[0].Endpoint != down.URL {
			t.Fatalf("dead-lettered: got %d, want the delivery to %s", len(ds), down.URL)
		}
		want["meshgate_notify_delivery_attempts_failed_total/http"] = 2
		want["meshgate_notify_deliveries_dead_lettered_total/http"] = 1
		want["meshgate_notify_deliveries_waiting"] = 0
		want["meshgate_notify_deliveries_dead_letters"] = 1
		if got := gathered(t, f.svc.Metrics()); !maps.Equal(got, want) {
			t.Errorf("after the retry ran out:\ngot  %v\nwant %v", got, want)
		}
	})
}

// TestLostLeaseNotCounted: a delivery whose lease ran out while its
// receiver was slow, and which another replica sent meanwhile, counts as
// sent once, by the replica that recorded it.
func TestLostLeaseNotCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, "", notify.RetryPolicy{})
		var hits atomic.Int64
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				<-release // the first replica's attempt waits past its lease
			}
		}))
		defer slow.Close()
		f.confirmed(t, slow.URL)
		f.publish(t, msg("m1"))
		wh := webhook.New(webhook.Options{Allow: loopback})
		other := notify.NewService(s, notify.Options{PublicURL: "https://mesh.example.com", LinkKey: []byte("k"), Clock: f.clock,
			Timeout: 5 * time.Second, Channels: map[string]notify.Channel{"http": wh}})
		first := make(chan error)
		go func() {
			_, err := f.svc.SendOnce(context.Background())
			first <- err
		}()
		for hits.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		f.clock.Add(notify.DefaultLease)
		if n, err := other.SendOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("the other replica: got %d, %v, want the delivery sent", n, err)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatalf("the first replica: %v", err)
		}
		for name, svc := range map[string]*notify.Service{"first": f.svc, "other": other} {
			want := 0.0
			if svc == other {
				want = 1
			}
			if got := gathered(t, svc.Metrics())["meshgate_notify_deliveries_sent_total/http"]; got != want {
				t.Errorf("%s replica's sent: got %v, want %v", name, got, want)
			}
		}
	})
}

var errRolledBack = errors.New("rolled back by the test")

// rollbackStore rolls back write transactions while fail is set, once their
// work is done, as a commit that fails would.
type rollbackStore struct {
	store.Store
	fail atomic.Bool
}

func (s *rollbackStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil || !s.fail.Load() {
			return err
		}
		return errRolledBack
	})
}

func (s *rollbackStore) Unwrap() store.Store { return s.Store }

// gathered reads the meshgate_notify metrics cs expose: name/label value
// for a counter by protocol, the name alone for a gauge.
func gathered(t *testing.T, cs []prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			got[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return got
}
