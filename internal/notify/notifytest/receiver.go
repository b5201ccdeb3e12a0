package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/notify/webhook"
)

// Request is one webhook request a Receiver took.
type Request struct {
	Header http.Header
	Raw    []byte
	Body   webhook.Body
	// Verified says whether the signature checked out with the secret.
	Verified bool
}

// Receiver is an httptest webhook endpoint that records every request and
// checks its signature with Secret.
type Receiver struct {
	*httptest.Server
	// Status, when not 0, is the status every request gets (default 200).
	Status atomic.Int32
	// Secret is the subscription's signing secret, set once subscribed.
	Secret atomic.Value
	// OnConfirm, when set, runs for a confirmation request before it is answered.
	OnConfirm func(b webhook.Body)
	// Now is the receiver's clock for the timestamp check (default time.Now).
	Now func() time.Time
	// Discard keeps only a count (for benchmarks).
	Discard   bool
	OnReceive func(id string)
	count     atomic.Int64

	mu   sync.Mutex
	got  []*Request
	wake chan struct{}
}

// StartReceiver starts a receiver on loopback; it stops with the test.
func StartReceiver(t testing.TB) *Receiver {
	r := &Receiver{wake: make(chan struct{}, 1)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	r.count.Add(1)
	if r.OnReceive != nil {
		r.OnReceive(req.Header.Get(webhook.HeaderMessageID))
	}
	if !r.Discard {
		got := &Request{Header: req.Header.Clone(), Raw: raw}
		json.Unmarshal(raw, &got.Body)
		if s, _ := r.Secret.Load().(string); s != "" {
			now := time.Now()
			if r.Now != nil {
				now = r.Now()
			}
			got.Verified = webhook.Verify(s, req.Header, raw, now, 5*time.Minute) == nil
		}
		if got.Body.Type == webhook.TypeConfirmation && r.OnConfirm != nil {
			r.OnConfirm(got.Body)
		}
		r.mu.Lock()
		r.got = append(r.got, got)
		r.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	if s := r.Status.Load(); s != 0 {
		w.WriteHeader(int(s))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Count returns how many requests arrived.
func (r *Receiver) Count() int64 { return r.count.Load() }

// Received returns the requests so far.
func (r *Receiver) Received() []*Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Request(nil), r.got...)
}

// WaitFor waits until n requests arrived or timeout passes, and returns them.
func (r *Receiver) WaitFor(n int, timeout time.Duration) []*Request {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got := r.Received(); len(got) >= n {
			return got
		}
		select {
		case <-r.wake:
		case <-deadline.C:
			return r.Received()
		}
	}
}
