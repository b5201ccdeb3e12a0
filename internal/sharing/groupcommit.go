package sharing

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// maxDecisionBatch bounds how many decisions share one transaction.
const maxDecisionBatch = 128

// decisionQueue commits concurrent decisions together, as the engine
// commits concurrent starts: decisions that arrive while a transaction is
// being written wait for it to end and then share the next one, so a busy
// server pays one commit (one fsync on SQLite) for many decisions. Each
// decision runs inside a savepoint: one refused (a conflict, a forbidden
// decider) rolls back only its own writes. Nothing is acknowledged before
// the shared transaction has committed.
type decisionQueue struct {
	s       *Service
	mu      sync.Mutex
	pending []*queuedDecision
	busy    bool
}

type queuedDecision struct {
	ctx context.Context
	id  int64 // the request, to take locks in one order
	fn  func(ctx context.Context, tx store.Tx) error
	err error
	// done is closed once the decision's transaction has ended.
	done chan struct{}
}

// submit runs fn in a transaction shared with concurrent decisions and
// returns its error once that transaction has committed (or failed).
func (q *decisionQueue) submit(ctx context.Context, id int64, fn func(ctx context.Context, tx store.Tx) error) error {
	d := &queuedDecision{ctx: ctx, id: id, fn: fn, done: make(chan struct{})}
	q.mu.Lock()
	q.pending = append(q.pending, d)
	if !q.busy {
		q.busy = true
		go q.drain()
	}
	q.mu.Unlock()
	<-d.done
	return d.err
}

func (q *decisionQueue) drain() {
	q.mu.Lock()
	for len(q.pending) > 0 {
		n := min(len(q.pending), maxDecisionBatch)
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		q.mu.Unlock()
		q.commit(batch)
		for _, d := range batch {
			close(d.done)
		}
		q.mu.Lock()
	}
	q.busy = false
	q.mu.Unlock()
}

// commit writes a batch in one transaction. A decision refused with an
// expected error (mesh codes other than EINTERNAL) is rolled back to its
// savepoint and answered with that error; any other failure (a store
// error, a conflict the store broke) ends the shared transaction, and each
// decision then runs alone, with the usual retries, so that one cannot
// fail the others.
func (q *decisionQueue) commit(batch []*queuedDecision) {
	if len(batch) == 1 {
		d := batch[0]
		d.err = q.s.update(d.ctx, func(tx store.Tx) error { return d.fn(d.ctx, tx) })
		return
	}
	// decisions run in the order of their requests; their executions are
	// locked first, in one order for every batch (lockExecutions), so that
	// two replicas' batches wait for each other instead of deadlocking
	slices.SortFunc(batch, func(a, b *queuedDecision) int { return cmp.Compare(a.id, b.id) })
	err := q.s.store.Update(context.Background(), func(tx store.Tx) error {
		if err := lockExecutions(tx, batch); err != nil {
			return err
		}
		for _, d := range batch {
			d.err = nil
			if err := d.ctx.Err(); err != nil {
				d.err = err
				continue
			}
			ctx := context.WithoutCancel(d.ctx)
			if err := tx.Savepoint(ctx, "decision"); err != nil {
				return err
			}
			err := d.fn(ctx, tx)
			if err != nil && (mesh.ErrorCode(err) == mesh.EINTERNAL || q.s.store.Transient(err)) {
				return err
			}
			if err != nil {
				// the rollback releases the savepoint too
				d.err = err
				if err := tx.RollbackToSavepoint(ctx, "decision"); err != nil {
					return err
				}
				continue
			}
			if err := tx.ReleaseSavepoint(ctx, "decision"); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for _, d := range batch {
		d.err = q.s.update(d.ctx, func(tx store.Tx) error { return d.fn(d.ctx, tx) })
	}
}

// lockExecutions locks the executions of a batch's requests before any
// decision runs, in the order of their ids, as every batch does. Each
// decision would lock its own (and still does, finding it locked); taking
// them all first means that their locks, after which the read memo is
// emptied (another transaction's commit may have become visible), come
// before the decisions read anything, so the catalog rows, accounts and
// users the first decision reads serve the others too. A request that is
// not found is left to its decision to report.
func lockExecutions(tx store.Tx, batch []*queuedDecision) error {
	ctx := context.Background()
	ids := make([]string, 0, len(batch))
	for _, d := range batch {
		r, err := tx.FindAccessRequest(ctx, d.id)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		ids = append(ids, r.ExecutionID)
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.LockExecution(ctx, id); err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
			return err
		}
	}
	return nil
}
