package workflow_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// passCounter is a store that counts its write transactions.
type passCounter struct {
	store.Store
	updates atomic.Int64
}

func (s *passCounter) Unwrap() store.Store { return s.Store }

func (s *passCounter) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// TestDispatcherWaitsForHeldExecutions: on PostgreSQL the dispatcher's
// claim skips due executions that other transactions hold locked (another
// replica's pass, a callback, a replica stalled in the middle of its pass).
// The dispatcher then waits for news, or its poll interval, rather than
// claiming again every millisecond until they are released; once they are,
// it advances them.
func TestDispatcherWaitsForHeldExecutions(t *testing.T) {
	pg := storetest.OpenPostgres(t, nil) // SQLite's one writer holds no row apart
	counted := &passCounter{Store: pg}
	ev := newEnv(t, counted)
	ev.create("sleep", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}`)
	x := ev.start("sleep", "", `{}`)
	ev.clock.Add(2 * time.Second)

	// another transaction holds the due execution
	locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- pg.Update(ev.ctx, func(tx store.Tx) error {
			if _, err := tx.LockExecution(ev.ctx, x.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-held:
		t.Fatalf("lock the execution: %v", err)
	}

	ctx, cancel := context.WithCancel(ev.ctx)
	defer cancel()
	before := counted.updates.Load()
	done := make(chan error, 1)
	go func() { done <- ev.engine.Dispatcher().Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	// the default poll interval is 1s: one pass, perhaps a second
	if got := counted.updates.Load() - before; got > 2 {
		t.Errorf("passes while the execution was held for 300ms: got %v, want at most 2", got)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("hold the execution: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ev.get(x.ID).Status == mesh.ExecutionRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
	cancel()
	<-done
}
