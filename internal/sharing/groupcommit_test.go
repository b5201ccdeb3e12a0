package sharing_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestDecisionsShareCommits sends many decisions at once, so that they
// share transactions: for each request an approval, a denial and one by its
// own requester. Each request gets exactly one decision (the other is a
// conflict carrying it, the requester's is forbidden), its status follows
// the winner, and exactly one decision is audited: a refused decision in a
// shared transaction leaves nothing behind.
func TestDecisionsShareCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		type product struct{ db, table string }
		var ids []int64
		requesters := map[int64]context.Context{}
		for _, p := range []product{{"sales", "orders"}, {"sales", ""}, {"hr", ""}, {"hr", "people"}} {
			for _, who := range []context.Context{consumerAnn, siblingCarl} {
				r := f.request(who, p.db, p.table)
				if r.Status != mesh.RequestPendingApproval {
					t.Fatalf("request %s.%s: got %s, want PENDING_APPROVAL", p.db, p.table, r.Status)
				}
				ids, requesters[r.ID] = append(ids, r.ID), who
			}
		}
		type result struct {
			approve bool
			err     error
		}
		results := make(map[int64][]result)
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, id := range ids {
			for i, who := range []context.Context{approver, approver2, requesters[id]} {
				wg.Go(func() {
					<-start
					_, err := f.decide(who, id, i == 0, "decision "+strconv.Itoa(i))
					mu.Lock()
					results[id] = append(results[id], result{approve: i == 0, err: err})
					if i == 2 && !mesh.IsCode(err, mesh.EFORBIDDEN) {
						t.Errorf("request %d decided by its requester: got %v, want forbidden", id, err)
					}
					mu.Unlock()
				})
			}
		}
		close(start)
		wg.Wait()
		for _, id := range ids {
			var won []result
			for _, r := range results[id][:] {
				var me *mesh.Error
				switch {
				case r.err == nil:
					won = append(won, r)
				case errors.As(r.err, &me) && me.Code == mesh.ECONFLICT:
					if ap, ok := me.Details.(*mesh.Approval); !ok || ap.Decision == nil {
						t.Errorf("request %d, the loser's conflict: got %#v, want the recorded decision", id, me.Details)
					}
				case mesh.IsCode(r.err, mesh.EFORBIDDEN):
				default:
					t.Errorf("request %d: got %v, want success, conflict or forbidden", id, r.err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("request %d: got %d winners, want exactly 1 (%+v)", id, len(won), results[id])
			}
			want := mesh.RequestDenied
			if won[0].approve {
				want = mesh.RequestShared
			}
			f.wantStatus(id, want)
			var audited []*mesh.AuditEntry
			err := s.View(f.ctx, func(tx store.Tx) error {
				var err error
				audited, err = tx.FindAuditEntries(f.ctx, store.AuditFilter{Action: "sharing.approval.*", Resource: "request/" + strconv.FormatInt(id, 10)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			decisions := 0
			for _, e := range audited {
				if e.Action == "sharing.approval.approve" || e.Action == "sharing.approval.deny" {
					decisions++
				}
			}
			if decisions != 1 {
				t.Errorf("request %d: got %d decisions audited, want 1", id, decisions)
			}
		}
	})
}

// TestCreateAnswersAsStored: CreateRequest answers from what its start's
// transaction wrote, without reading the request again; the answer must be
// the request as a read finds it, times at the store's precision included,
// for a request shared at once, one waiting for approval and one with a
// time bound.
func TestCreateAnswersAsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.clock.Add(123456789 * time.Nanosecond) // below PostgreSQL's microseconds
		for _, r := range []*mesh.AccessRequest{
			f.request(siblingCarl, "marketing", "campaigns"),
			f.request(consumerAnn, "sales", "orders"),
			f.request(consumerAnn, "hr", "teams", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) }),
		} {
			got, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(f.get(r.ID).AccessRequest)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("request %d: got %s, want %s", r.ID, got, want)
			}
		}
	})
}
