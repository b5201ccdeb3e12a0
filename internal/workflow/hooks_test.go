package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

const hookMachine = `{"StartAt": "Wait", "States": {
	"Wait": {"Type": "Task", "Resource": "test:token.waitForTaskToken",
		"Parameters": {"token.$": "$$.Task.Token", "who.$": "$.who"}, "End": true}}}`

// TestStartPrepare: Prepare runs in the start's transaction, its input is
// the one the execution runs with, and its error fails that start alone
// with nothing written.
func TestStartPrepare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("cb", hookMachine)
		prep := func(fail bool) func(ctx context.Context, tx store.Tx, x *mesh.Execution, input any) (any, error) {
			return func(ctx context.Context, tx store.Tx, x *mesh.Execution, input any) (any, error) {
				if fail {
					return nil, mesh.Invalid("who", "is not welcome")
				}
				if _, err := tx.AddWorkflowCounter(ctx, "prepared", 1); err != nil {
					return nil, err
				}
				m := input.(map[string]any)
				return map[string]any{"who": m["who"], "execution": x.ID}, nil
			}
		}
		x, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "cb", Input: json.RawMessage(`{"who":"ann"}`), Prepare: prep(false)})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		var in map[string]any
		json.Unmarshal(ev.get(x.ID).Input, &in)
		if in["execution"] != x.ID || in["who"] != "ann" {
			t.Errorf("input: got %v, want who and the execution id", in)
		}
		// a refused start fails alone and starts nothing
		_, _, err = ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "cb", Input: json.RawMessage(`{"who":"bob"}`), Prepare: prep(true)})
		if !mesh.IsCode(err, mesh.EINVALID) {
			t.Fatalf("refused start: got %v, want invalid", err)
		}
		list, _ := ev.engine.FindExecutions(ev.ctx, store.ExecutionFilter{StateMachine: "cb"})
		if len(list) != 1 || ev.counter("prepared") != 1 {
			t.Errorf("executions: got %d (prepared %d), want 1 (1)", len(list), ev.counter("prepared"))
		}
	})
}

// TestEndHookAndProtectedTasks: an end hook runs in the ending transaction;
// the generic task calls refuse a protected resource's token, and
// SucceedTaskTx answers it.
func TestEndHookAndProtectedTasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.engine.Registry().Protect("test:token")
		var ended []string
		ev.engine.OnExecutionEnd(func(ctx context.Context, tx store.Tx, x *mesh.Execution) error {
			ended = append(ended, x.Status)
			_, err := tx.AddWorkflowCounter(ctx, "ended-"+x.ID, 1)
			return err
		})
		ev.create("cb", hookMachine)
		x := ev.start("cb", "", `{"who":"ann"}`)
		tok := ev.lastToken()
		for name, call := range map[string]func() error{
			"success":   func() error { return ev.engine.SendTaskSuccess(ev.ctx, tok, nil) },
			"failure":   func() error { return ev.engine.SendTaskFailure(ev.ctx, tok, "X", "y") },
			"heartbeat": func() error { return ev.engine.SendTaskHeartbeat(ev.ctx, tok) },
		} {
			if err := call(); !mesh.IsCode(err, mesh.EFORBIDDEN) {
				t.Errorf("generic %s: got %v, want forbidden", name, err)
			}
		}
		ev.wantStatus(x.ID, mesh.ExecutionRunning)
		err := s.Update(ev.ctx, func(tx store.Tx) error {
			return ev.engine.SucceedTaskTx(ev.ctx, tx, workflow.HashToken(tok), map[string]any{"ok": true})
		})
		if err != nil {
			t.Fatalf("succeed in tx: %v", err)
		}
		ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		if len(ended) != 1 || ended[0] != mesh.ExecutionSucceeded || ev.counter("ended-"+x.ID) != 1 {
			t.Errorf("end hook: got %v (counter %d), want one SUCCEEDED run in the ending transaction", ended, ev.counter("ended-"+x.ID))
		}
		// stopped in a caller's transaction: the hook sees ABORTED
		y := ev.start("cb", "", `{"who":"bob"}`)
		err = s.Update(ev.ctx, func(tx store.Tx) error {
			_, err := ev.engine.StopExecutionTx(ev.ctx, tx, y.ID, "Cancelled", "by the requester")
			return err
		})
		if err != nil {
			t.Fatalf("stop in tx: %v", err)
		}
		if got := ev.wantStatus(y.ID, mesh.ExecutionAborted); got.Error != "Cancelled" || ev.counter("ended-"+y.ID) != 1 {
			t.Errorf("stopped: got error %q, counter %d; want Cancelled, 1", got.Error, ev.counter("ended-"+y.ID))
		}
	})
}

// TestRollbackStateMachine: a rollback adds a version with the old
// definition; an invalid update is refused and the current version stays;
// a rollback to the current version, which would restore nothing, is refused.
func TestRollbackStateMachine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("m", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}}`)
		if _, err := ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "m",
			Definition: json.RawMessage(`{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 2, "End": true}}}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "m",
			Definition: json.RawMessage(`{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "no:such", "End": true}}}`)}); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("invalid update: got %v, want invalid", err)
		}
		sm, err := ev.engine.RollbackStateMachine(ev.ctx, "m", 1)
		if err != nil {
			t.Fatal(err)
		}
		if sm.Version != 3 {
			t.Errorf("rollback version: got %d, want 3", sm.Version)
		}
		x := ev.start("m", "", `{}`)
		if got := string(ev.get(x.ID).Output); got != "1" {
			t.Errorf("output after rollback: got %s, want 1", got)
		}
		if _, err := ev.engine.RollbackStateMachine(ev.ctx, "m", 9); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("unknown version: got %v, want not found", err)
		}
		if _, err := ev.engine.RollbackStateMachine(ev.ctx, "m", 3); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("the current version: got %v, want conflict", err)
		}
		if sm, err := ev.engine.FindStateMachine(ev.ctx, "m", 0); err != nil || sm.Version != 3 {
			t.Errorf("after rolling back to the current version: got %+v, %v; want version 3 still current", sm, err)
		}
	})
}

// TestLegacyDescriptionKept: a state machine description stored before
// descriptions refused control characters other than tab and line breaks
// (an ESC) stays through a save that sends it back as it read it, with a
// new definition, and through a rollback to the version that holds it; a
// save that sets such a description is refused naming description.
func TestLegacyDescriptionKept(t *testing.T) {
	const legacy = "deploys \x1b[1mfast\x1b[0m"
	def := func(result int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": %d, "End": true}}}`, result))
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		// as an older version stored it, before the check
		err := s.Update(ev.ctx, func(tx store.Tx) error {
			return tx.InsertStateMachine(ev.ctx, &mesh.StateMachine{Name: "m", Version: 1, Description: legacy, Definition: def(1), CreatedAt: ev.clock.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name  string
			save  func() (*mesh.StateMachine, error)
			field string // the field a refusal names; "" for saved
			desc  string // the description saved
		}{
			{"the description sent back with a new definition", func() (*mesh.StateMachine, error) {
				return ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "m", Description: legacy, Definition: def(2)})
			}, "", legacy},
			{"another description with an ESC", func() (*mesh.StateMachine, error) {
				return ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "m", Description: "\x1b[2J", Definition: def(3)})
			}, "description", ""},
			{"a description without one", func() (*mesh.StateMachine, error) {
				return ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "m", Description: "deploys", Definition: def(3)})
			}, "", "deploys"},
			{"a rollback to the first version", func() (*mesh.StateMachine, error) {
				return ev.engine.RollbackStateMachine(ev.ctx, "m", 1)
			}, "", legacy},
		}
		for _, st := range steps {
			sm, err := st.save()
			var me *mesh.Error
			switch {
			case st.field != "" && (!errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != st.field):
				t.Errorf("%s: got %v, want invalid naming %s", st.name, err, st.field)
			case st.field == "" && err != nil:
				t.Errorf("%s: got %v, want saved", st.name, err)
			case st.field == "" && sm.Description != st.desc:
				t.Errorf("%s: got description %q, want %q", st.name, sm.Description, st.desc)
			}
		}
	})
}
