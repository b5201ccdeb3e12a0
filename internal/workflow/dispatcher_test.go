package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
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

// dispatcherViews is a store that counts the read transactions of the
// dispatcher (those whose context carries dispatcherKey) once they end: the
// last thing a dispatcher does before it sleeps is such a read (NextWake).
type dispatcherViews struct {
	store.Store
	views atomic.Int64
}

type dispatcherKey struct{}

func (s *dispatcherViews) Unwrap() store.Store { return s.Store }

func (s *dispatcherViews) View(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.Store.View(ctx, fn)
	if ctx.Value(dispatcherKey{}) != nil {
		s.views.Add(1)
	}
	return err
}

// TestAnswerWakesDispatcher: an answer through the task API (SendTaskSuccess,
// SendTaskFailure) that leaves its execution due, here because the states
// after the task are more than one pass enters, wakes the dispatcher after
// its commit, as a decision answered in-process does. The poll interval is
// an hour, and the answer comes once the dispatcher has gone to sleep, so
// only the wake can finish the execution within the test.
func TestAnswerWakesDispatcher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		counted := &dispatcherViews{Store: s}
		ev := newEnv(t, counted)
		// the dispatcher's reads ended when the token was made
		var atToken atomic.Int64
		ev.engine.Registry().Register("test:hold", func(ctx context.Context, tx store.Tx, input any) (any, error) {
			atToken.Store(counted.views.Load())
			in, _ := input.(map[string]any)
			tok, _ := in["token"].(string)
			ev.mu.Lock()
			ev.tokens = append(ev.tokens, tok)
			ev.mu.Unlock()
			return nil, nil
		})
		ev.engine = workflow.New(counted, workflow.Options{Registry: ev.engine.Registry(), Clock: ev.clock, PollInterval: time.Hour})
		// the dispatcher's reads ended when the last execution ended (in
		// its pass): the next read is the one before it sleeps
		var atEnd atomic.Int64
		ev.engine.OnExecutionEnd(func(ctx context.Context, tx store.Tx, x *mesh.Execution) error {
			atEnd.Store(counted.views.Load())
			return nil
		})
		// more Pass states than one pass of the stepper enters (500)
		states := []string{`"Ask": {"Type": "Task", "Resource": "test:hold.waitForTaskToken", "Parameters": {"token.$": "$$.Task.Token"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P0"}], "Next": "P0"}`}
		const passes = 700
		for i := range passes {
			next := fmt.Sprintf(`"Next": "P%d"`, i+1)
			if i == passes-1 {
				next = `"End": true`
			}
			states = append(states, fmt.Sprintf(`"P%d": {"Type": "Pass", %s}`, i, next))
		}
		ev.create("long", `{"StartAt": "Ask", "States": {`+strings.Join(states, ",")+`}}`)

		ctx, cancel := context.WithCancel(context.WithValue(ev.ctx, dispatcherKey{}, true))
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- ev.engine.Dispatcher().Run(ctx) }()
		defer func() { cancel(); <-done }()
		// waitAsleep waits until the dispatcher has read its next wake time
		// after the read it made before n.
		waitAsleep := func(n int64, deadline time.Time) {
			t.Helper()
			for counted.views.Load() <= n {
				if time.Now().After(deadline) {
					t.Fatal("the dispatcher made no read: it did not go to sleep")
				}
				time.Sleep(time.Millisecond)
			}
		}
		for _, answer := range []struct {
			name string
			send func(token string) error
		}{
			{"success", func(token string) error { return ev.engine.SendTaskSuccess(ev.ctx, token, nil) }},
			{"failure", func(token string) error { return ev.engine.SendTaskFailure(ev.ctx, token, "Test.No", "caught") }},
		} {
			deadline := time.Now().Add(10 * time.Second)
			waitAsleep(atEnd.Load(), deadline) // its first pass, or the one that ended the last execution
			x := ev.start("long", "", `{}`)
			for ev.tokenCount() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			waitAsleep(atToken.Load(), deadline)
			if err := answer.send(ev.lastToken()); err != nil {
				t.Fatalf("%s: %v", answer.name, err)
			}
			ev.clearTokens()
			for ev.get(x.ID).Status == mesh.ExecutionRunning && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if got := ev.get(x.ID); got.Status != mesh.ExecutionSucceeded {
				t.Fatalf("%s: status %v 10s after the start, want %v: the dispatcher was not woken", answer.name, got.Status, mesh.ExecutionSucceeded)
			}
		}
	})
}

func (ev *env) tokenCount() int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.tokens)
}

func (ev *env) clearTokens() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.tokens = nil
}
