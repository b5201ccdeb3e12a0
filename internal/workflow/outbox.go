package workflow

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// outboxLease is how long a replica holds an external task it runs; a
// replica that dies loses it after this, and another runs the task again.
const outboxLease = 2 * time.Minute

// errLate reports a result for a task attempt that is no longer running.
var errLate = mesh.Errorf(mesh.ECONFLICT, "the task is no longer running: it timed out, failed, was retried or its execution ended")

// deliver applies fn to the frame running task attempt seq of an
// execution the caller locked in tx, after the execution caught up with its
// due timers, and saves the run. It returns errLate, with the catch-up
// saved, when no frame runs the attempt any more.
func (e *Engine) deliver(ctx context.Context, tx store.Tx, rec *store.ExecutionRecord, seq int64, fn func(s *stepper, f *frame) error) error {
	if rec.Terminal() {
		return errLate
	}
	s, broken, err := e.loadOrBroken(ctx, tx, rec)
	if err != nil {
		return err
	}
	if broken != nil {
		// no result can reach it: it fails, and its task is done
		s.failBroken(broken)
		if err := s.save(); err != nil {
			return err
		}
		return errLate
	}
	if err := s.advance(); err != nil {
		return err
	}
	f := s.r.findTask(seq)
	if f == nil {
		if err := s.save(); err != nil {
			return err
		}
		return errLate
	}
	if err := fn(s, f); err != nil {
		return err
	}
	if err := s.advance(); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		return err
	}
	if s.outbox {
		// once the entry can be seen: woken before, the sender may find nothing yet
		tx.AfterCommit(e.wakeOutbox)
	}
	return nil
}

// SendOutboxOnce leases pending external tasks, runs them and records
// their results; it returns how many it ran. The sender loop calls it.
func (e *Engine) SendOutboxOnce(ctx context.Context) (int, error) {
	tasks, err := e.claimOutbox(ctx, e.opts.OutboxConcurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Go(func() { e.runExternal(ctx, t) })
	}
	wg.Wait()
	return len(tasks), nil
}

// claimOutbox leases up to limit pending external tasks to this process.
func (e *Engine) claimOutbox(ctx context.Context, limit int) ([]*store.OutboxTask, error) {
	var tasks []*store.OutboxTask
	now := e.clock.Now()
	err := e.store.Update(ctx, func(tx store.Tx) error {
		var err error
		tasks, err = tx.ClaimOutboxTasks(ctx, e.opts.Owner, now, now.Add(outboxLease), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox tasks: %w", err)
	}
	return tasks, nil
}

func (e *Engine) runExternal(ctx context.Context, t *store.OutboxTask) {
	_, extFn, callback := e.registry.lookup(t.Resource)
	var result any
	var taskErr error
	if extFn == nil {
		taskErr = &TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("unknown task resource %q", t.Resource)}
	} else if input, err := asl.ParseJSON(t.Input); err != nil {
		taskErr = &TaskError{Name: asl.ErrRuntime, Cause: err.Error()}
	} else {
		timeout := min(t.Timeout, outboxLease-e.opts.LeaseMargin/2)
		result, taskErr = e.callExternal(ctx, timeout, extFn, input, t)
		if ctx.Err() != nil {
			return // shutting down: the lease expires and the task runs again
		}
		if taskErr != nil && errors.Is(taskErr, context.DeadlineExceeded) {
			taskErr = &TaskError{Name: asl.ErrTimeout, Cause: "the task did not finish within its TimeoutSeconds"}
		}
	}
	err := e.store.Update(ctx, func(tx store.Tx) error {
		// the execution first, then its outbox row: the order every
		// transaction takes, so replicas cannot deadlock
		rec, err := tx.LockExecution(ctx, t.ExecutionID)
		if err != nil {
			if mesh.IsCode(err, mesh.ENOTFOUND) {
				return tx.FinishOutboxTask(ctx, t.ID, "", store.OutboxCancelled)
			}
			return err
		}
		if err := tx.FinishOutboxTask(ctx, t.ID, e.opts.Owner, store.OutboxDone); err != nil {
			if mesh.IsCode(err, mesh.ECONFLICT) {
				return nil // cancelled, or the lease passed to another replica
			}
			return err
		}
		err = e.deliver(ctx, tx, rec, t.Attempt, func(s *stepper, f *frame) error {
			f.External = false // its outbox entry is done: nothing left to cancel
			if taskErr != nil {
				return s.taskFailed(f, stateError(taskErr), false)
			}
			if callback {
				return nil // the result only says the token left; the task waits for it
			}
			return s.taskSucceeded(f, result)
		})
		if errors.Is(err, errLate) {
			return nil
		}
		return err
	})
	if err != nil {
		e.log.Error("workflow outbox: record result", "task", t.DedupeKey, "err", err)
		return
	}
	e.wake()
}

// callExternal runs an external task within timeout. Its panic fails the
// task with States.Runtime, as an in-transaction task's does: it runs in a
// goroutine of its own, where a panic would end the process, and the
// outbox row would be run again, and panic again, when it restarts.
func (e *Engine) callExternal(ctx context.Context, timeout time.Duration, fn ExternalTaskFunc, input any, t *store.OutboxTask) (result any, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("workflow external task panicked", "task", t.DedupeKey, "resource", t.Resource,
				"panic", p, "stack", string(debug.Stack()))
			result, err = nil, &TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	return fn(ctx, input, TaskMeta{DedupeKey: t.DedupeKey, ExecutionID: t.ExecutionID})
}

// Sender returns the loop that runs external tasks from the outbox (a server.Background).
func (e *Engine) Sender() *Sender { return &Sender{e: e} }

// Sender runs external tasks until its context ends.
type Sender struct{ e *Engine }

// Run loops until ctx ends, keeping up to OutboxConcurrency tasks running:
// a slow task does not hold back the others.
func (s *Sender) Run(ctx context.Context) error {
	e := s.e
	if e.store.Dialect() == "sqlite" {
		// one process per SQLite store: leases left by its previous run
		// belong to no one alive, so its tasks run again at once
		if err := e.store.Update(ctx, func(tx store.Tx) error { return tx.ReleaseOutboxLeases(ctx) }); err != nil {
			e.log.Error("workflow outbox: release leases", "err", err)
		}
	}
	slots := make(chan struct{}, e.opts.OutboxConcurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		free := cap(slots) - len(slots)
		var tasks []*store.OutboxTask
		if free > 0 {
			var err error
			tasks, err = e.claimOutbox(ctx, free)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				e.log.Error("workflow outbox", "err", err)
			}
		}
		for _, t := range tasks {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots; e.wakeOutbox() }()
				e.runExternal(ctx, t)
			})
		}
		if len(tasks) > 0 && len(tasks) == free {
			continue
		}
		t := time.NewTimer(e.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.kickOut:
		case <-t.C:
		}
		t.Stop()
	}
}
