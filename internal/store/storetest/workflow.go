package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("workflow", testWorkflow) }

func testWorkflow(t *testing.T, open Opener) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	update := func(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("state machine versions", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx store.Tx) error {
			for v := 1; v <= 2; v++ {
				if err := tx.InsertStateMachine(ctx, &mesh.StateMachine{Name: "flow", Version: v, Definition: json.RawMessage(`{}`), CreatedAt: now}); err != nil {
					return err
				}
			}
			err := tx.InsertStateMachine(ctx, &mesh.StateMachine{Name: "flow", Version: 2, Definition: json.RawMessage(`{}`), CreatedAt: now})
			if mesh.ErrorCode(err) != mesh.ECONFLICT {
				t.Errorf("duplicate version: got %v, want %v", err, mesh.ECONFLICT)
			}
			latest, err := tx.FindStateMachine(ctx, "flow", 0)
			if err != nil || latest.Version != 2 || latest.Deleted {
				t.Errorf("latest: got %+v %v, want version 2, not deleted", latest, err)
			}
			all, err := tx.FindStateMachines(ctx)
			if err != nil || len(all) != 1 || all[0].Version != 2 {
				t.Errorf("list: got %v %v, want one at version 2", all, err)
			}
			if err := tx.DeleteStateMachine(ctx, "flow"); err != nil {
				return err
			}
			if _, err := tx.FindStateMachine(ctx, "flow", 0); mesh.ErrorCode(err) != mesh.ENOTFOUND {
				t.Errorf("latest after delete: got %v, want %v", err, mesh.ENOTFOUND)
			}
			if old, err := tx.FindStateMachine(ctx, "flow", 1); err != nil || old.Version != 1 || !old.Deleted {
				t.Errorf("old version after delete: got %+v %v, want version 1, deleted", old, err)
			}
			if all, err := tx.FindStateMachines(ctx); err != nil || len(all) != 0 {
				t.Errorf("list after delete: got %v %v, want none", all, err)
			}
			if n, err := tx.MaxStateMachineVersion(ctx, "flow"); err != nil || n != 2 {
				t.Errorf("max version: got %v %v, want 2", n, err)
			}
			if err := tx.DeleteStateMachine(ctx, "flow"); mesh.ErrorCode(err) != mesh.ENOTFOUND {
				t.Errorf("delete again: got %v, want %v", err, mesh.ENOTFOUND)
			}
			return nil
		})
	})

	t.Run("executions and history", func(t *testing.T) {
		s := open(t)
		rec := func(id, name string, wake time.Time) *store.ExecutionRecord {
			return &store.ExecutionRecord{Execution: mesh.Execution{ID: id, Name: name, StateMachine: "flow", Version: 1,
				Status: mesh.ExecutionRunning, Input: json.RawMessage(`{"a":1}`), StartedAt: now, Deadline: now.Add(time.Hour)},
				State: []byte(`{}`), WakeAt: wake}
		}
		update(t, s, func(tx store.Tx) error {
			ins, err := tx.InsertExecutions(ctx, []*store.ExecutionRecord{rec("e1", "one", now), rec("e2", "two", now.Add(time.Minute)), rec("e3", "one", now)})
			if err != nil {
				return err
			}
			if !ins["e1"] || !ins["e2"] || ins["e3"] {
				t.Errorf("inserted: got %v, want e1 and e2", ins)
			}
			due, err := tx.ClaimExecutions(ctx, now, 10)
			if err != nil || len(due) != 1 || due[0].ID != "e1" {
				t.Errorf("claim: got %v %v, want e1", due, err)
			}
			x := due[0]
			x.Status, x.Output, x.StoppedAt, x.WakeAt, x.Events = mesh.ExecutionSucceeded, json.RawMessage(`"done"`), now, time.Time{}, 2
			if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x}); err != nil {
				return err
			}
			if err := tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{
				{ExecutionID: "e1", ID: 1, Type: "ExecutionStarted", Timestamp: now, Details: json.RawMessage(`{}`)},
				{ExecutionID: "e1", ID: 2, PreviousID: 1, Type: "ExecutionSucceeded", Timestamp: now},
			}); err != nil {
				return err
			}
			return nil
		})
		mustView(t, s, func(tx store.Tx) error {
			got, err := tx.FindExecution(ctx, "e1")
			if err != nil || got.Status != mesh.ExecutionSucceeded || string(got.Output) != `"done"` || !got.StoppedAt.Equal(now) || !got.WakeAt.IsZero() {
				t.Errorf("find: got %+v %v", got, err)
			}
			if byName, err := tx.FindExecutionByName(ctx, "flow", "two"); err != nil || byName.ID != "e2" {
				t.Errorf("by name: got %v %v, want e2", byName, err)
			}
			list, err := tx.FindExecutions(ctx, store.ExecutionFilter{StateMachine: "flow", Status: mesh.ExecutionRunning})
			if err != nil || len(list) != 1 || list[0].ID != "e2" {
				t.Errorf("list running: got %v %v, want e2", list, err)
			}
			next, err := tx.NextWake(ctx)
			if err != nil || !next.Equal(now.Add(time.Minute)) {
				t.Errorf("next wake: got %v %v, want %v", next, err, now.Add(time.Minute))
			}
			evs, err := tx.FindHistoryEvents(ctx, "e1", 1, 10)
			if err != nil || len(evs) != 1 || evs[0].Type != "ExecutionSucceeded" || evs[0].PreviousID != 1 {
				t.Errorf("history: got %v %v", evs, err)
			}
			if n, err := tx.CountExecutions(ctx, "flow", mesh.ExecutionRunning); err != nil || n != 1 {
				t.Errorf("count: got %v %v, want 1", n, err)
			}
			return nil
		})
	})

	t.Run("history across calls", func(t *testing.T) {
		s := open(t)
		ev := func(exec string, id int, details string) *mesh.HistoryEvent {
			e := &mesh.HistoryEvent{ExecutionID: exec, ID: id, PreviousID: id - 1, Type: fmt.Sprintf("Step%d", id), Timestamp: now.Add(time.Duration(id) * time.Millisecond)}
			if details != "" {
				e.Details = json.RawMessage(details)
			}
			return e
		}
		// two executions' events interleaved in one call, then more of one
		update(t, s, func(tx store.Tx) error {
			return tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{
				ev("a", 1, `{"input":{"x":"é \"q\" \u2028"}}`), ev("b", 1, ""), ev("a", 2, `[1,2.5,null]`), ev("b", 2, `"s"`), ev("a", 3, ""),
			})
		})
		update(t, s, func(tx store.Tx) error {
			return tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{ev("a", 4, `{}`), ev("a", 5, `true`)})
		})
		want := []*mesh.HistoryEvent{ev("a", 1, `{"input":{"x":"é \"q\" \u2028"}}`), ev("a", 2, `[1,2.5,null]`), ev("a", 3, ""), ev("a", 4, `{}`), ev("a", 5, `true`)}
		mustView(t, s, func(tx store.Tx) error {
			for _, c := range []struct{ after, limit, from, to int }{
				{0, 0, 0, 5}, {0, 10, 0, 5}, {2, 10, 2, 5}, {3, 10, 3, 5}, {1, 3, 1, 4}, {0, 2, 0, 2}, {5, 10, 5, 5},
			} {
				got, err := tx.FindHistoryEvents(ctx, "a", c.after, c.limit)
				if err != nil {
					t.Fatalf("after %d limit %d: %v", c.after, c.limit, err)
				}
				if !sameEvents(got, want[c.from:c.to]) {
					t.Errorf("after %d limit %d: got %s, want %s", c.after, c.limit, eventsString(got), eventsString(want[c.from:c.to]))
				}
			}
			got, err := tx.FindHistoryEvents(ctx, "b", 0, 0)
			if err != nil || !sameEvents(got, []*mesh.HistoryEvent{ev("b", 1, ""), ev("b", 2, `"s"`)}) {
				t.Errorf("b: got %s %v", eventsString(got), err)
			}
			if got, err := tx.FindHistoryEvents(ctx, "c", 0, 0); err != nil || len(got) != 0 {
				t.Errorf("no history: got %s %v", eventsString(got), err)
			}
			return nil
		})
	})

	t.Run("history repeats", func(t *testing.T) {
		s := open(t)
		ev := func(id int, details string, repeats map[string]string) *mesh.HistoryEvent {
			e := &mesh.HistoryEvent{ExecutionID: "r", ID: id, PreviousID: id - 1, Type: fmt.Sprintf("Step%d", id),
				Timestamp: now.Add(time.Duration(id) * time.Millisecond), Repeats: repeats}
			if details != "" {
				e.Details = json.RawMessage(details)
			}
			return e
		}
		in := `{"a":[1,{"b":"é \"q\" <&>"}]}`
		update(t, s, func(tx store.Tx) error {
			return tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{
				ev(1, `{"input":`+in+`,"stateMachine":"m"}`, nil),
				ev(2, `{"name":"A"}`, map[string]string{"input": "input"}),
				ev(3, `{"name":"A"}`, map[string]string{"output": "input"}), // repeats what event 2 repeats
				ev(4, "", map[string]string{"output": "output"}),
				ev(5, `{"input":1,"zz":2}`, map[string]string{"output": "output"}),
			})
		})
		// the event repeated is written in an earlier call: refused, nothing written
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{ev(6, "", map[string]string{"output": "output"})})
		})
		want := []*mesh.HistoryEvent{
			ev(1, `{"input":`+in+`,"stateMachine":"m"}`, nil),
			ev(2, `{"input":`+in+`,"name":"A"}`, nil),
			ev(3, `{"name":"A","output":`+in+`}`, nil),
			ev(4, `{"output":`+in+`}`, nil),
			ev(5, `{"input":1,"output":`+in+`,"zz":2}`, nil),
		}
		if err == nil {
			t.Error("an event repeating one of an earlier call: got no error")
		}
		mustView(t, s, func(tx store.Tx) error {
			for _, after := range []int{0, 3} {
				got, err := tx.FindHistoryEvents(ctx, "r", after, 0)
				if err != nil || !sameEvents(got, want[after:]) {
					t.Errorf("after %d: got %s %v, want %s", after, eventsString(got), err, eventsString(want[after:]))
				}
			}
			return nil
		})
	})

	t.Run("tokens outbox counters savepoints", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx store.Tx) error {
			if err := tx.InsertTaskToken(ctx, &store.TaskToken{Hash: "h1", ExecutionID: "e1", Attempt: 3, State: "Ask", Status: store.TokenActive, CreatedAt: now}); err != nil {
				return err
			}
			if err := tx.UpdateTaskTokens(ctx, "e1", 3, store.TokenUsed, now); err != nil {
				return err
			}
			tok, err := tx.FindTaskToken(ctx, "h1")
			if err != nil || tok.Status != store.TokenUsed || tok.Attempt != 3 {
				t.Errorf("token: got %+v %v, want used attempt 3", tok, err)
			}
			if _, err := tx.FindTaskToken(ctx, "nope"); mesh.ErrorCode(err) != mesh.ENOTFOUND {
				t.Errorf("unknown token: got %v, want %v", err, mesh.ENOTFOUND)
			}
			for i := 0; i < 2; i++ { // the same dedupe key twice is one task
				if err := tx.InsertOutboxTask(ctx, &store.OutboxTask{ExecutionID: "e1", Attempt: 4, DedupeKey: "e1/Call/4", Resource: "r",
					Input: []byte(`{}`), Timeout: time.Second, Status: store.OutboxPending, CreatedAt: now}); err != nil {
					return err
				}
			}
			got, err := tx.ClaimOutboxTasks(ctx, "a", now, now.Add(time.Minute), 10)
			if err != nil || len(got) != 1 || got[0].Tries != 1 {
				t.Fatalf("claim: got %v %v, want one task", got, err)
			}
			if again, err := tx.ClaimOutboxTasks(ctx, "b", now.Add(time.Second), now.Add(time.Minute), 10); err != nil || len(again) != 0 {
				t.Errorf("claim while leased: got %d tasks, %v; want 0", len(again), err)
			}
			if again, _ := tx.ClaimOutboxTasks(ctx, "b", now.Add(2*time.Minute), now.Add(3*time.Minute), 10); len(again) != 1 {
				t.Errorf("claim after the lease expired: got %d tasks, want 1", len(again))
			}
			if err := tx.ReleaseOutboxLeases(ctx); err != nil {
				return err
			}
			if again, _ := tx.ClaimOutboxTasks(ctx, "c", now.Add(2*time.Minute), now.Add(3*time.Minute), 10); len(again) != 1 {
				t.Errorf("claim after the leases were released: got %d tasks, want 1", len(again))
			}
			if err := tx.FinishOutboxTask(ctx, got[0].ID, "a", store.OutboxDone); mesh.ErrorCode(err) != mesh.ECONFLICT {
				t.Errorf("finish with a lost lease: got %v, want %v", err, mesh.ECONFLICT)
			}
			if err := tx.FinishOutboxTask(ctx, got[0].ID, "c", store.OutboxDone); err != nil {
				t.Errorf("finish: %v", err)
			}
			if v, err := tx.AddWorkflowCounter(ctx, "c", 2); err != nil || v != 2 {
				t.Errorf("counter: got %v %v, want 2", v, err)
			}
			if err := tx.Savepoint(ctx, "sp"); err != nil {
				return err
			}
			if _, err := tx.AddWorkflowCounter(ctx, "c", 5); err != nil {
				return err
			}
			if err := tx.RollbackToSavepoint(ctx, "sp"); err != nil {
				return err
			}
			if v, err := tx.FindWorkflowCounter(ctx, "c"); err != nil || v != 2 {
				t.Errorf("counter after rollback: got %v %v, want 2", v, err)
			}
			return nil
		})
	})
	// A sum past int64 is refused by the statement itself: the
	// transaction goes on (PostgreSQL would abort it on an overflow) and
	// the counter keeps an integer (SQLite would store a float).
	t.Run("counter range", func(t *testing.T) {
		s := open(t)
		tests := []struct {
			name         string
			start, delta int64
			want         int64
			code         string // of the add's error
		}{
			{"up to the largest", math.MaxInt64 - 1, 1, math.MaxInt64, ""},
			{"past the largest", math.MaxInt64 - 1, 2, math.MaxInt64 - 1, mesh.EINVALID},
			{"down to the smallest", math.MinInt64 + 1, -1, math.MinInt64, ""},
			{"past the smallest", math.MinInt64 + 1, -2, math.MinInt64 + 1, mesh.EINVALID},
			{"the largest, less the most", math.MaxInt64, math.MinInt64, -1, ""},
			{"the smallest, plus the most", math.MinInt64, math.MaxInt64, -1, ""},
		}
		for i, tt := range tests {
			name := fmt.Sprintf("c%d", i)
			update(t, s, func(tx store.Tx) error {
				_, err := tx.AddWorkflowCounter(ctx, name, tt.start)
				return err
			})
			update(t, s, func(tx store.Tx) error {
				_, err := tx.AddWorkflowCounter(ctx, name, tt.delta)
				if got := mesh.ErrorCode(err); got != tt.code {
					t.Errorf("%s: add: got %v, want code %q", tt.name, err, tt.code)
				}
				// the transaction is still usable
				v, err := tx.FindWorkflowCounter(ctx, name)
				if err != nil || v != tt.want {
					t.Errorf("%s: counter: got %v %v, want %v", tt.name, v, err, tt.want)
				}
				return err
			})
		}
	})
}

func sameEvents(got, want []*mesh.HistoryEvent) bool {
	if len(got) != len(want) {
		return false
	}
	for i, g := range got {
		w := want[i]
		if g.ExecutionID != w.ExecutionID || g.ID != w.ID || g.PreviousID != w.PreviousID || g.Type != w.Type ||
			!g.Timestamp.Equal(w.Timestamp) || !bytes.Equal(g.Details, w.Details) || (g.Details == nil) != (w.Details == nil) ||
			g.Repeats != nil {
			return false
		}
	}
	return true
}

func eventsString(evs []*mesh.HistoryEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "[%s %d<-%d %s %s %q]", e.ExecutionID, e.ID, e.PreviousID, e.Type, e.Timestamp.Format(time.RFC3339Nano), e.Details)
	}
	return b.String()
}

// HistoryViewRow is a row of the workflow_history view: an event's time,
// its details as kept and the fields it repeats of the previous event
// (NULL as "").
type HistoryViewRow struct {
	Time             time.Time
	Details, Repeats string
}

// HistoryViewShowsEvents checks that the store's workflow_history view, for
// SQL beside the store, shows each event's time, though an event made at
// the same time as the one before it in its chunk is kept without it, its
// details as kept and the fields it repeats of the previous event. view
// reads the execution "v"'s rows of the view, in order.
func HistoryViewShowsEvents(t *testing.T, s store.Store, view func() []HistoryViewRow) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 123456000, time.UTC)
	later := now.Add(time.Second)
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.InsertHistoryEvents(ctx, []*mesh.HistoryEvent{
			{ExecutionID: "v", ID: 1, Type: "ExecutionStarted", Timestamp: now, Details: json.RawMessage(`{"input":{"a":1}}`)},
			{ExecutionID: "v", ID: 2, PreviousID: 1, Type: "PassStateEntered", Timestamp: now, Details: json.RawMessage(`{"name":"A"}`),
				Repeats: map[string]string{"input": "input"}},
			{ExecutionID: "v", ID: 3, PreviousID: 2, Type: "PassStateExited", Timestamp: later, Details: json.RawMessage(`{"name":"A"}`)},
			{ExecutionID: "v", ID: 4, PreviousID: 3, Type: "ExecutionSucceeded", Timestamp: later},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoryViewRow{
		{now, `{"input":{"a":1}}`, ""},
		{now, `{"name":"A"}`, `{"input":"input"}`},
		{later, `{"name":"A"}`, ""},
		{later, "", ""},
	}
	got := view()
	if len(got) != len(want) {
		t.Fatalf("the view: got %d rows %v, want %v", len(got), got, want)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Details != want[i].Details || got[i].Repeats != want[i].Repeats {
			t.Errorf("the view's row %d: got %v, want %v", i+1, got[i], want[i])
		}
	}
}
