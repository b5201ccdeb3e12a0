package workflow_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

// An execution the engine cannot load (its saved state unreadable, or its
// definition refused by the parser of a later release) can still be ended,
// by whatever reaches it: the dispatcher, a stop, a forced delete of its
// state machine, its external task's result or its task token. Ending it
// withdraws what it waited for: its token expires and its external task
// is not sent, or not sent again.
func TestUnloadableExecutionEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ctx := ev.ctx
		var sent atomic.Int64
		ev.engine.Registry().RegisterExternal("test:notify", func(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
			sent.Add(1)
			return "sent", nil
		})
		// a token to answer and an external task to send, side by side
		ev.create("both", `{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "test:token.waitForTaskToken",
				"Parameters": {"token.$": "$$.Task.Token"}, "End": true}}},
			{"StartAt": "Notify", "States": {"Notify": {"Type": "Task", "Resource": "test:notify", "End": true}}}]}}}`)
		// break makes an execution's saved state unreadable; due makes it due now
		breakState := func(id string, due bool) {
			t.Helper()
			err := s.Update(ctx, func(tx store.Tx) error {
				rec, err := tx.LockExecution(ctx, id)
				if err != nil {
					return err
				}
				rec.State = []byte(`{"seq": "one"}`)
				if due {
					rec.WakeAt = ev.clock.Now()
				}
				return tx.UpdateExecutions(ctx, []*store.ExecutionRecord{rec})
			})
			if err != nil {
				t.Fatalf("break the execution's state: %v", err)
			}
		}
		tokenStatus := func(tok string) string {
			t.Helper()
			var status string
			err := s.View(ctx, func(tx store.Tx) error {
				tt, err := tx.FindTaskToken(ctx, workflow.HashToken(tok))
				if err == nil {
					status = tt.Status
				}
				return err
			})
			if err != nil {
				t.Fatalf("find task token: %v", err)
			}
			return status
		}
		tests := []struct {
			name   string
			due    bool
			end    func(x *mesh.Execution, tok string) error
			status string
			sent   int64 // external tasks sent for the execution
		}{
			{"dispatcher", true, func(*mesh.Execution, string) error { return ev.engine.Drain(ctx) }, mesh.ExecutionFailed, 0},
			{"stop", false, func(x *mesh.Execution, _ string) error {
				_, err := ev.engine.StopExecution(ctx, x.ID, "Operator", "stopped")
				return err
			}, mesh.ExecutionAborted, 0},
			{"forced delete", false, func(*mesh.Execution, string) error {
				if err := ev.engine.DeleteStateMachine(ctx, "both", true); err != nil {
					return err
				}
				ev.create("both", `{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
					{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "test:token.waitForTaskToken",
						"Parameters": {"token.$": "$$.Task.Token"}, "End": true}}},
					{"StartAt": "Notify", "States": {"Notify": {"Type": "Task", "Resource": "test:notify", "End": true}}}]}}}`)
				return nil
			}, mesh.ExecutionAborted, 0},
			{"external result", false, func(*mesh.Execution, string) error {
				_, err := ev.engine.SendOutboxOnce(ctx)
				return err
			}, mesh.ExecutionFailed, 1},
			{"task token", false, func(_ *mesh.Execution, tok string) error {
				if err := ev.engine.SendTaskSuccess(ctx, tok, json.RawMessage(`{}`)); mesh.ErrorCode(err) != mesh.ECONFLICT {
					t.Errorf("answer: got %v, want %v", err, mesh.ECONFLICT)
				}
				return nil
			}, mesh.ExecutionFailed, 0},
		}
		for _, tt := range tests {
			x := ev.start("both", "", `{}`)
			tok := ev.lastToken()
			breakState(x.ID, tt.due)
			before := sent.Load()
			if err := tt.end(x, tok); err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			if got := ev.get(x.ID); got.Status != tt.status {
				t.Errorf("%s: got %v (%s: %s), want %v", tt.name, got.Status, got.Error, got.Cause, tt.status)
			}
			if got := tokenStatus(tok); got != store.TokenExpired {
				t.Errorf("%s: token: got %v, want %v", tt.name, got, store.TokenExpired)
			}
			// past the outbox lease: nothing of the execution is sent (again)
			ev.clock.Add(3 * time.Minute)
			if _, err := ev.engine.SendOutboxOnce(ctx); err != nil {
				t.Fatalf("%s: send outbox: %v", tt.name, err)
			}
			if got := sent.Load() - before; got != tt.sent {
				t.Errorf("%s: external tasks sent: got %v, want %v", tt.name, got, tt.sent)
			}
		}
	})
}
