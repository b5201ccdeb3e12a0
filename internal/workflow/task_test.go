package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

// A counter task whose sum would pass the range of int64 fails its
// execution with Counter.Overflow and leaves the counter as it was; an
// unrelated execution due in the same pass advances with it. (The store
// used to overflow: PostgreSQL aborted the pass's transaction, so that no
// execution advanced again, and SQLite kept a float no one could read.)
func TestCounterOverflowFailsOnlyItsExecution(t *testing.T) {
	tests := []struct {
		name         string
		start, delta int64
	}{
		// 2^62 twice is 2^63, one past the largest int64
		{"past the largest", 1 << 62, 1 << 62},
		{"past the smallest", -1 << 62, -1<<62 - 1},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("add", `{"StartAt": "W", "States": {
			"W": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Add"},
			"Add": {"Type": "Task", "Resource": "meshgate:counter:increment",
				"Parameters": {"Name.$": "$.name", "Delta.$": "$.delta"}, "End": true}}}`)
		ev.create("other", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}}`)
		for _, tt := range tests {
			ev.wantStatus(ev.start("add", "", fmt.Sprintf(`{"wait": 0, "name": %q, "delta": %d}`, tt.name, tt.start)).ID, mesh.ExecutionSucceeded)
			over := ev.start("add", "", fmt.Sprintf(`{"wait": 1, "name": %q, "delta": %d}`, tt.name, tt.delta))
			other := ev.start("other", "", `{}`)
			ev.clock.Add(3 * time.Second)
			if n, err := ev.engine.RunOnce(ev.ctx); err != nil || n != 2 {
				t.Fatalf("%s: pass: got %d advanced, %v; want 2, no error", tt.name, n, err)
			}
			if got := ev.get(over.ID); got.Status != mesh.ExecutionFailed || got.Error != "Counter.Overflow" {
				t.Errorf("%s: overflowing execution: got %v (%s: %s), want FAILED with Counter.Overflow", tt.name, got.Status, got.Error, got.Cause)
			}
			ev.wantStatus(other.ID, mesh.ExecutionSucceeded)
			if got := ev.counter(tt.name); got != tt.start {
				t.Errorf("%s: counter: got %d, want %d", tt.name, got, tt.start)
			}
		}
	})
}

// An atomic task (no savepoint) that fails with anything but a *TaskError
// fails the pass's transaction with that error rather than the task: its
// store may have aborted the transaction, and nothing of the pass is kept.
func TestAtomicTaskStoreFailureFailsThePass(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		broken := errors.New("the store broke")
		reg := workflow.NewRegistry()
		reg.RegisterAtomic("test:store-breaks", func(ctx context.Context, tx store.Tx, input any) (any, error) {
			return nil, broken
		})
		ev.engine = workflow.New(s, workflow.Options{Registry: reg, Clock: ev.clock})
		ev.create("breaks", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
			"T": {"Type": "Task", "Resource": "test:store-breaks", "End": true}}}`)
		x := ev.start("breaks", "", `{}`)
		ev.clock.Add(time.Second)
		if _, err := ev.engine.RunOnce(ev.ctx); !errors.Is(err, broken) {
			t.Errorf("pass: got %v, want %v", err, broken)
		}
		got := ev.get(x.ID)
		if h := strings.Join(ev.history(x.ID), ","); got.Status != mesh.ExecutionRunning || strings.Contains(h, "TaskFailed") {
			t.Errorf("execution: got %v with history %s, want RUNNING, no task failure recorded", got.Status, h)
		}
	})
}

// An in-transaction task that writes and then panics leaves nothing of its
// writes. With a savepoint (Register), the task fails with States.Runtime
// and so does its execution; an atomic task (no savepoint) fails the
// pass's transaction instead, as a store failure does.
func TestPanickingTaskWritesRolledBack(t *testing.T) {
	tests := []struct {
		name     string
		register func(*workflow.Registry, string, workflow.TxTaskFunc)
		atomic   bool
	}{
		{"savepoint", (*workflow.Registry).Register, false},
		{"atomic", (*workflow.Registry).RegisterAtomic, true},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		for _, tt := range tests {
			reg := workflow.NewRegistry()
			tt.register(reg, "test:writes-then-panics", func(ctx context.Context, tx store.Tx, input any) (any, error) {
				if _, err := tx.AddWorkflowCounter(ctx, tt.name, 1); err != nil {
					return nil, err
				}
				panic("bug in task")
			})
			ev.engine = workflow.New(s, workflow.Options{Registry: reg, Clock: ev.clock})
			ev.create(tt.name, `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
				"T": {"Type": "Task", "Resource": "test:writes-then-panics", "End": true}}}`)
			x := ev.start(tt.name, "", `{}`)
			ev.clock.Add(time.Second)
			_, err := ev.engine.RunOnce(ev.ctx)
			got := ev.get(x.ID)
			if tt.atomic {
				if err == nil || !strings.Contains(err.Error(), "internal error: bug in task") || got.Status != mesh.ExecutionRunning {
					t.Errorf("%s: got pass error %v, execution %v; want the panic as the pass's error, RUNNING", tt.name, err, got.Status)
				}
			} else if err != nil || got.Status != mesh.ExecutionFailed || got.Error != "States.Runtime" || got.Cause != "internal error: bug in task" {
				t.Errorf("%s: got pass error %v, execution %v (%s: %s); want no pass error, FAILED (States.Runtime: internal error: bug in task)",
					tt.name, err, got.Status, got.Error, got.Cause)
			}
			if n := ev.counter(tt.name); n != 0 {
				t.Errorf("%s: counter: got %d, want 0 (the panicked task's write rolled back)", tt.name, n)
			}
		}
	})
}
