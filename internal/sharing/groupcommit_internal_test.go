package sharing

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// countingStore counts the transactions Update runs.
type countingStore struct {
	store.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// TestRefusedDecisionKeepsBatch: a decision refused in a batch rolls back
// only its own writes; the others commit in the batch's one transaction,
// not each again alone.
func TestRefusedDecisionKeepsBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		cs := &countingStore{Store: s}
		q := &decisionQueue{s: &Service{store: cs}}
		write := func(key string, fail bool) func(context.Context, store.Tx) error {
			return func(ctx context.Context, tx store.Tx) error {
				if err := tx.PutSetting(ctx, key, "written"); err != nil {
					return err
				}
				if fail {
					return mesh.Errorf(mesh.ECONFLICT, "refused")
				}
				return nil
			}
		}
		batch := []*queuedDecision{
			{ctx: ctx, id: 1, fn: write("decision-1", false)},
			{ctx: ctx, id: 2, fn: write("decision-2", true)},
			{ctx: ctx, id: 3, fn: write("decision-3", false)},
		}
		q.commit(batch)
		if n := cs.updates.Load(); n != 1 {
			t.Errorf("transactions: got %d, want the batch's one", n)
		}
		if batch[0].err != nil || batch[2].err != nil || !mesh.IsCode(batch[1].err, mesh.ECONFLICT) {
			t.Errorf("errors: got %v, %v, %v; want nil, conflict, nil", batch[0].err, batch[1].err, batch[2].err)
		}
		s.View(ctx, func(tx store.Tx) error {
			for key, want := range map[string]string{"decision-1": "written", "decision-2": "", "decision-3": "written"} {
				got, err := tx.Setting(ctx, key)
				if mesh.IsCode(err, mesh.ENOTFOUND) {
					got, err = "", nil
				}
				if err != nil || got != want {
					t.Errorf("%s: got %q %v, want %q", key, got, err, want)
				}
			}
			return nil
		})
	})
}
