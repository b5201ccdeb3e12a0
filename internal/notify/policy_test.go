package notify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestSNSEmailPolicy: 2 retries 10 s apart, 10 with backoff from 10 s to
// 600 s, 38 at 600 s, then none.
func TestSNSEmailPolicy(t *testing.T) {
	p := notify.SNSEmailPolicy
	var delays []time.Duration
	for n := 1; ; n++ {
		d, ok := p.Next(n)
		if !ok {
			break
		}
		delays = append(delays, d)
	}
	if len(delays) != 50 {
		t.Fatalf("got %d retries, want 50", len(delays))
	}
	for i, want := range map[int]time.Duration{0: 10 * time.Second, 1: 10 * time.Second, 2: 10 * time.Second, 11: 600 * time.Second, 12: 600 * time.Second, 49: 600 * time.Second} {
		if delays[i] != want {
			t.Errorf("retry %d: got %v, want %v", i+1, delays[i], want)
		}
	}
	for i := 3; i < 12; i++ {
		if delays[i] <= delays[i-1] {
			t.Errorf("backoff retry %d: got %v after %v, want it to grow", i+1, delays[i], delays[i-1])
		}
	}
	var total time.Duration
	for _, d := range delays {
		total += d
	}
	if total < 6*time.Hour || total > 8*time.Hour {
		t.Errorf("got %v in all, want about six and a half hours", total)
	}
}

func TestParseRetryPolicy(t *testing.T) {
	got, err := notify.ParseRetryPolicy(notify.SNSEmailPolicy.String())
	if err != nil || got != notify.SNSEmailPolicy {
		t.Errorf("round trip: got %+v, %v, want %+v", got, err, notify.SNSEmailPolicy)
	}
	for _, bad := range []string{"", "2x10s", "2x10s,10x600s-10s,1x1s", "ax1s,1x1s-2s,1x1s", "1x1s,1x1s,1x1s", "1x-1s,1x1s-2s,1x1s"} {
		if _, err := notify.ParseRetryPolicy(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

// TestNoRetries: a policy of no retries ("0x0s,0x0s-0s,0x0s", the zero
// value) dead-letters a failed delivery after its one attempt, where it was
// taken for no policy set and replaced by SNS's 50 retries.
func TestNoRetries(t *testing.T) {
	p, err := notify.ParseRetryPolicy("0x0s,0x0s-0s,0x0s")
	if err != nil || p.Retries() != 0 {
		t.Fatalf("parse: got %v (%d retries), %v", p, p.Retries(), err)
	}
	f := newFixture(t, storetest.OpenSQLite(t, nil), "", p)
	rcv := notifytest.StartReceiver(t)
	f.confirmed(t, rcv.URL)
	rcv.Status.Store(http.StatusInternalServerError)
	f.publish(t, msg("m-1"))
	f.sendAll(t)
	if failed := f.deliveries(t, store.DeliveryFailed); len(failed) != 1 || failed[0].Attempts != 1 || failed[0].MessageID != "m-1" {
		t.Fatalf("got dead letters %+v, want m-1 after its one attempt", failed)
	}
}
