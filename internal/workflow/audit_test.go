package workflow_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

// TestChangesAreAudited runs each change the engine offers and checks the
// audit entries it left: every change, each execution it ends included.
func TestChangesAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		const passDef = `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`
		var x *mesh.Execution // the execution the last start made
		tests := []struct {
			name string
			do   func() error
			want func() []string // "action resource", oldest first
		}{
			{"create", func() error {
				_, err := ev.engine.CreateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "cb", Definition: json.RawMessage(callbackMachine)})
				return err
			}, func() []string { return []string{"workflow.state_machine.create state_machine/cb"} }},
			{"update", func() error {
				_, err := ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "cb", Definition: json.RawMessage(passDef)})
				return err
			}, func() []string { return []string{"workflow.state_machine.update state_machine/cb"} }},
			{"rollback", func() error {
				_, err := ev.engine.RollbackStateMachine(ev.ctx, "cb", 1)
				return err
			}, func() []string { return []string{"workflow.state_machine.update state_machine/cb"} }},
			{"start", func() error {
				x = ev.start("cb", "", `{}`)
				return nil
			}, func() []string { return []string{"workflow.execution.start execution/" + x.ID} }},
			{"heartbeat", func() error {
				return ev.engine.SendTaskHeartbeat(ev.ctx, ev.lastToken())
			}, func() []string { return []string{"workflow.task.heartbeat execution/" + x.ID} }},
			{"task success", func() error {
				return ev.engine.SendTaskSuccess(ev.ctx, ev.lastToken(), json.RawMessage(`"ok"`))
			}, func() []string { return []string{"workflow.task.success execution/" + x.ID} }},
			{"task failure", func() error {
				x = ev.start("cb", "", `{}`)
				return ev.engine.SendTaskFailure(ev.ctx, ev.lastToken(), "Denied", "no")
			}, func() []string {
				return []string{"workflow.execution.start execution/" + x.ID, "workflow.task.failure execution/" + x.ID}
			}},
			{"stop", func() error {
				x = ev.start("cb", "", `{}`)
				_, err := ev.engine.StopExecution(ev.ctx, x.ID, "Test.Stop", "stopped")
				return err
			}, func() []string {
				return []string{"workflow.execution.start execution/" + x.ID, "workflow.execution.stop execution/" + x.ID}
			}},
			{"forced delete", func() error {
				x = ev.start("cb", "", `{}`)
				return ev.engine.DeleteStateMachine(ev.ctx, "cb", true)
			}, func() []string {
				return []string{"workflow.execution.start execution/" + x.ID,
					"workflow.execution.stop execution/" + x.ID, "workflow.state_machine.delete state_machine/cb"}
			}},
			{"delete", func() error {
				ev.create("idle", passDef)
				return ev.engine.DeleteStateMachine(ev.ctx, "idle", false)
			}, func() []string {
				return []string{"workflow.state_machine.create state_machine/idle", "workflow.state_machine.delete state_machine/idle"}
			}},
		}
		last := lastAuditID(t, s)
		for _, tt := range tests {
			if err := tt.do(); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []string
			for _, e := range storetest.AuditSince(t, s, last) {
				got = append(got, e.Action+" "+e.Resource)
				last = e.ID
			}
			if want := tt.want(); !slices.Equal(got, want) {
				t.Errorf("%s: got audit entries %q, want %q", tt.name, got, want)
			}
		}
	})
}

// lastAuditID returns the id of the newest audit entry, or 0.
func lastAuditID(t *testing.T, s store.Store) int64 {
	t.Helper()
	es := storetest.AuditSince(t, s, 0)
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].ID
}
