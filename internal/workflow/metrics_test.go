package workflow_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/prometheus/client_golang/prometheus"
)

// TestExecutionsEndedCounted: every way an execution ends (in its start's
// commit, by a pass of the dispatcher, stopped) counts once under its
// status, once its transaction has committed: a pass that rolls back (an
// end hook's store error) counts nothing, and its run again counts once.
func TestExecutionsEndedCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		failOnce := true
		ev.engine.OnExecutionEnd(func(ctx context.Context, tx store.Tx, x *mesh.Execution) error {
			if x.StateMachine == "later" && failOnce {
				failOnce = false
				return errors.New("the store failed")
			}
			return nil
		})
		ev.create("ok", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)
		ev.create("fail", `{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Test.Fail", "Cause": "c"}}}`)
		ev.create("slow", `{"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}`)
		ev.create("later", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}`)
		ev.start("ok", "", `{}`)
		ev.start("fail", "", `{}`)
		slow := ev.start("slow", "", `{}`)
		stopped := ev.start("slow", "", `{}`)
		later := ev.start("later", "", `{}`)
		if _, err := ev.engine.StopExecution(ev.ctx, stopped.ID, "Test.Stop", "by hand"); err != nil {
			t.Fatalf("stop: %v", err)
		}
		want := map[string]float64{"SUCCEEDED": 1, "FAILED": 1, "TIMED_OUT": 0, "ABORTED": 1}
		if got := endedTotals(t, ev.engine); !maps.Equal(got, want) {
			t.Errorf("after the starts and the stop: got %v, want %v", got, want)
		}
		ev.clock.Add(time.Minute)
		if _, err := ev.engine.RunOnce(ev.ctx); err == nil {
			t.Fatal("pass with a failing end hook: got no error")
		}
		ev.wantStatus(slow.ID, mesh.ExecutionRunning)
		if got := endedTotals(t, ev.engine); !maps.Equal(got, want) {
			t.Errorf("after the pass rolled back: got %v, want %v", got, want)
		}
		ev.drain()
		ev.wantStatus(slow.ID, mesh.ExecutionTimedOut)
		ev.wantStatus(later.ID, mesh.ExecutionSucceeded)
		want = map[string]float64{"SUCCEEDED": 2, "FAILED": 1, "TIMED_OUT": 1, "ABORTED": 1}
		if got := endedTotals(t, ev.engine); !maps.Equal(got, want) {
			t.Errorf("after the pass ran again: got %v, want %v", got, want)
		}
	})
}

// endedTotals reads meshgate_workflow_executions_ended_total, by status, as
// the engine's collectors expose it.
func endedTotals(t *testing.T, e *workflow.Engine) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Metrics()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "meshgate_workflow_executions_ended_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return got
}
