package sharing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/notify/email"
	"github.com/meshgate/meshgate/internal/notify/notifytest"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// These are BenchmarkCreateRequestNoPII and BenchmarkRequestApprove with
// their notifications: a notification service whose sender delivers to an
// in-process SMTP server, one confirmed email subscription on the owner's
// topic (which gets every approval request), and an email on every
// consumer account (which gets every outcome). The difference to the plain
// benchmarks is what notifications cost the sharing path.

// notifiedStore opens SQLite (synchronous=FULL) with 1,000 consumer
// accounts in the organization, each with an email, and a fixture whose
// messages go out through a running sender to smtp.
func notifiedStore(b *testing.B, smtp *notifytest.SMTPServer) *fixture {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := range 1000 {
			id := fmt.Sprintf("9%011d", i)
			if err := tx.CreateAccount(ctx, &mesh.Account{ID: id, Name: "c", Organization: org, Email: "team-" + id + "@example.com"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ch, err := email.New(email.Config{Addr: smtp.Addr, From: "meshgate@example.com", TLS: "none"})
	if err != nil {
		b.Fatal(err)
	}
	n := notify.NewService(s, notify.Options{PublicURL: "http://127.0.0.1:8080", LinkKey: []byte("a bench link key of 32 bytes...."),
		Channels: map[string]notify.Channel{notify.ProtocolEmail: ch}})
	f := newFixtureNotify(b, s, n)
	now := time.Now()
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := n.CreateTopic(ctx, tx, &mesh.Account{ID: producer}); err != nil {
			return err
		}
		t, err := tx.FindTopicByAccount(ctx, producer)
		if err != nil {
			return err
		}
		return tx.CreateSubscription(ctx, &store.Subscription{TopicID: t.ID, AccountID: producer, Protocol: notify.ProtocolEmail,
			Endpoint: "ops@example.com", Status: store.SubscriptionConfirmed, CreatedBy: "bench", CreatedAt: now, ConfirmedAt: now})
	})
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { n.Sender().Run(sctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return f
}

// latencies records, per approval request, the time from the commit that
// queued its email (CreateRequest returned) to its receipt by SMTP.
type latencies struct {
	mu   sync.Mutex
	sent map[string]time.Time
	// early holds receipts that came before CreateRequest returned to its caller
	early   map[string]time.Time
	got     []time.Duration
	pending atomic.Int64
}

func (l *latencies) committed(id int64) {
	now, key := time.Now(), fmt.Sprintf("approval-request-%d", id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.early[key]; ok {
		// it arrived before its sender knew the commit was done: the
		// receipt came at most now, so count what is known, 0 or more
		l.got = append(l.got, max(0, t.Sub(now)))
		delete(l.early, key)
		return
	}
	l.sent[key] = now
	l.pending.Add(1)
}

func (l *latencies) received(id string) {
	if !strings.HasPrefix(id, "approval-request-") {
		return
	}
	now := time.Now()
	l.mu.Lock()
	if t, ok := l.sent[id]; ok {
		l.got = append(l.got, now.Sub(t))
		delete(l.sent, id)
		l.pending.Add(-1)
	} else {
		if l.early == nil {
			l.early = map[string]time.Time{}
		}
		l.early[id] = now
	}
	l.mu.Unlock()
}

// report waits (up to 30s) for what is outstanding and reports p50 and p99.
func (l *latencies) report(b *testing.B) {
	for deadline := time.Now().Add(30 * time.Second); l.pending.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.got) == 0 {
		return
	}
	slices.Sort(l.got)
	at := func(q float64) float64 { return float64(l.got[int(q*float64(len(l.got)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "ms-p50-email")
	b.ReportMetric(at(0.99), "ms-p99-email")
	if len(l.sent) > 0 {
		b.Errorf("%d approval emails did not arrive", len(l.sent))
	}
}

// BenchmarkCreateRequestNoPIINotified is BenchmarkCreateRequestNoPII with
// the outcome email ("Access shared") queued in each request's commit.
func BenchmarkCreateRequestNoPIINotified(b *testing.B) {
	smtp := notifytest.StartSMTP(b)
	smtp.Discard = true
	f := notifiedStore(b, smtp)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			acct := fmt.Sprintf("9%011d", n.Add(1)%1000)
			r, _, err := f.svc.CreateRequest(as(acct, "u", mesh.RoleMember), sharing.RequestInput{Database: "marketing", Table: "campaigns", Justification: "bench"})
			if err != nil {
				b.Error(err)
				return
			}
			if r.Status != mesh.RequestShared {
				b.Errorf("got %s, want SHARED", r.Status)
				return
			}
		}
	})
	b.StopTimer()
	st := f.engine.Stats()
	b.ReportMetric(float64(st.Starts)/float64(max(st.StartCommits, 1)), "starts/commit")
}

// BenchmarkRequestApproveNotified is BenchmarkRequestApprove with the
// approval request published to the owner's subscription and the outcome
// emailed to the requesting account; it reports the approval emails'
// latency from commit to SMTP receipt under that load.
func BenchmarkRequestApproveNotified(b *testing.B) {
	smtp := notifytest.StartSMTP(b)
	smtp.Discard = true
	lat := &latencies{sent: map[string]time.Time{}}
	smtp.OnReceive = lat.received
	f := notifiedStore(b, smtp)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			acct := fmt.Sprintf("9%011d", n.Add(1)%1000)
			r, _, err := f.svc.CreateRequest(as(acct, "u", mesh.RoleMember), sharing.RequestInput{Database: "sales", Table: "orders", Justification: "bench"})
			if err != nil {
				b.Error(err)
				return
			}
			if r.Status != mesh.RequestPendingApproval {
				continue
			}
			lat.committed(r.ID)
			got, err := f.decide(approver, r.ID, true, "")
			if mesh.IsCode(err, mesh.ECONFLICT) {
				continue
			}
			if err != nil || got.Status != mesh.RequestShared {
				b.Errorf("approve: got %v, %v; want SHARED", got, err)
				return
			}
		}
	})
	b.StopTimer()
	lat.report(b)
}

// BenchmarkApprovalEmailLatency measures one approval email at a time,
// from the commit of the request that queues it to its receipt by SMTP:
// the delivery path's own latency, without a queue in front of it.
func BenchmarkApprovalEmailLatency(b *testing.B) {
	smtp := notifytest.StartSMTP(b)
	smtp.Discard = true
	lat := &latencies{sent: map[string]time.Time{}}
	arrived := make(chan struct{}, 1)
	smtp.OnReceive = func(id string) {
		lat.received(id)
		if strings.HasPrefix(id, "approval-request-") {
			arrived <- struct{}{}
		}
	}
	f := notifiedStore(b, smtp)
	b.ResetTimer()
	for i := range b.N {
		acct := fmt.Sprintf("9%011d", i%1000)
		r, _, err := f.svc.CreateRequest(as(acct, "u", mesh.RoleMember), sharing.RequestInput{Database: "sales", Table: "orders", Justification: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if r.Status != mesh.RequestPendingApproval {
			b.Fatalf("got %s, want PENDING_APPROVAL", r.Status)
		}
		lat.committed(r.ID)
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			b.Fatalf("approval email of request %d did not arrive", r.ID)
		}
		if _, err := f.svc.CancelRequest(as(acct, "u", mesh.RoleMember), r.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	lat.report(b)
}
