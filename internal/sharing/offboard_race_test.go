package sharing_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestOffboardingWhileSharing: on PostgreSQL, a producer is offboarded
// (its products handed over, or deleted) while its approvers approve the
// requests waiting for them, whose share tasks then grant under their
// executions' locks. Offboarding locks those executions before the access
// version, as the share tasks do, so neither waits for the other in a
// circle: PostgreSQL breaks no deadlock. Every request ends final, and
// the offboarded account holds no grant, nor does anyone on a deleted
// product.
func TestOffboardingWhileSharing(t *testing.T) {
	if !slices.Contains(storetest.Kinds(), "postgres") {
		t.Skip("PostgreSQL only: SQLite's one writer runs transactions one at a time")
	}
	for i := range 12 {
		s := &deadlockCounter{Store: storetest.Open(t, "postgres", nil)}
		f := newFixture(t, s)
		accts := f.accounts(s)
		var ids []int64
		for _, who := range []context.Context{consumerAnn, siblingCarl} {
			for _, p := range [][2]string{{"sales", "orders"}, {"sales", mesh.AllTables}, {"hr", "people"}} {
				r := f.request(who, p[0], p[1])
				f.wantStatus(r.ID, mesh.RequestPendingApproval)
				ids = append(ids, r.ID)
			}
		}
		transferTo := ""
		if i%2 == 0 {
			transferTo = sibling
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var offErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, offErr = accts.OffboardAccount(meshAdmin, producer, account.OffboardOptions{Force: true, TransferTo: transferTo})
		}()
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// refused once the request ended or its product changed hands
				if _, err := f.decide(approver, id, true, "ok"); err != nil && mesh.ErrorCode(err) == mesh.EINTERNAL {
					t.Errorf("approve request %d: %v", id, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if offErr != nil {
			t.Fatalf("round %d: offboard: %v", i, offErr)
		}
		for _, id := range ids {
			if v := f.get(id); v.Open() || v.Status == mesh.RequestShared {
				t.Errorf("round %d: request %d: got %s, want it ended", i, id, v.Status)
			}
		}
		err := s.View(f.ctx, func(tx store.Tx) error {
			held, err := tx.FindGrants(f.ctx, store.GrantFilter{AccountID: producer})
			if err != nil || len(held) != 0 {
				t.Errorf("round %d: the offboarded account holds %d grants (%v)", i, len(held), err)
			}
			if transferTo == "" {
				for _, db := range []string{"sales", "hr"} {
					if gs, err := tx.FindGrants(f.ctx, store.GrantFilter{Database: db}); err != nil || len(gs) != 0 {
						t.Errorf("round %d: %d grants on deleted database %s (%v)", i, len(gs), db, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := s.deadlocks.Load(); n > 0 {
			t.Errorf("round %d (transfer to %q): PostgreSQL broke %d deadlocks", i, transferTo, n)
		}
	}
}

// deadlockCounter counts the transactions PostgreSQL aborted to break a
// deadlock (40P01), which the services then ran again.
type deadlockCounter struct {
	store.Store
	deadlocks atomic.Int64
}

func (s *deadlockCounter) Unwrap() store.Store { return s.Store }

func (s *deadlockCounter) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "40P01" {
		s.deadlocks.Add(1)
	}
	return err
}
