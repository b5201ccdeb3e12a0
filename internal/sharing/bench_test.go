package sharing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// benchAccounts is how many consumer accounts the benchmarks' requests come from.
const benchAccounts = 1000

// benchFixture is a sharing service on a SQLite store with
// synchronous=FULL and benchAccounts consumer accounts in the organization.
func benchFixture(b *testing.B) *fixture {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{Synchronous: "FULL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for i := range benchAccounts {
			if err := tx.CreateAccount(context.Background(), &mesh.Account{ID: fmt.Sprintf("9%011d", i), Name: "c", Organization: org}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return newFixture(b, s)
}

// reportCPU resets the timer and returns the function that stops it and
// reports the process's CPU time (user and system, every goroutine) per
// operation: on a machine shared with other work it moves far less than
// the time per operation does.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkCreateRequestNoPII measures non-PII requests end to end in
// process on SQLite with synchronous=FULL: each is recorded, runs its
// execution to SUCCEEDED and grants in the commit that starts it, and the
// grant is in the decision index when CreateRequest returns. 32 requesters
// at once, so that starts share their commits; 1,000 consumer accounts in
// the organization (active shares), each asking again and again.
func BenchmarkCreateRequestNoPII(b *testing.B) {
	f := benchFixture(b)
	var n atomic.Int64
	b.SetParallelism(16) // 2 cores × 16 = 32 requesters
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			acct := fmt.Sprintf("9%011d", n.Add(1)%benchAccounts)
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
	st := f.engine.Stats()
	b.ReportMetric(float64(st.Starts)/float64(max(st.StartCommits, 1)), "starts/commit")
}

// BenchmarkRequestApprove measures PII requests with their approval: the
// request (recorded, looked up, waiting for approval in its start's
// commit), then the approver's decision (resumed, granted and shared in
// the decision's commit). SQLite, synchronous=FULL, 32 at once.
func BenchmarkRequestApprove(b *testing.B) {
	f := benchFixture(b)
	var n atomic.Int64
	b.SetParallelism(16)
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			acct := fmt.Sprintf("9%011d", n.Add(1)%benchAccounts)
			r, _, err := f.svc.CreateRequest(as(acct, "u", mesh.RoleMember), sharing.RequestInput{Database: "sales", Table: "orders", Justification: "bench"})
			if err != nil {
				b.Error(err)
				return
			}
			if r.Status != mesh.RequestPendingApproval {
				continue // another requester of the account has it open: theirs to approve
			}
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
}
