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
