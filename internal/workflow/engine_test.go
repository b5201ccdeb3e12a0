package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/task"
)

// env is an engine on a fresh store with a fake clock and test resources.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  store.Store
	clock  *mesh.FakeClock
	engine *workflow.Engine

	mu     sync.Mutex
	tokens []string
	fails  int // test:flaky fails this many times before succeeding
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	ev := &env{t: t, ctx: context.Background(), store: s, clock: mesh.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	reg := workflow.NewRegistry()
	task.Register(reg, task.HTTPOptions{})
	reg.Register("test:token", func(ctx context.Context, tx store.Tx, input any) (any, error) {
		in, _ := input.(map[string]any)
		tok, _ := in["token"].(string)
		ev.mu.Lock()
		ev.tokens = append(ev.tokens, tok)
		ev.mu.Unlock()
		return nil, nil
	})
	reg.Register("test:flaky", func(ctx context.Context, tx store.Tx, input any) (any, error) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		if ev.fails > 0 {
			ev.fails--
			// a failed attempt's writes are rolled back
			if _, err := tx.AddWorkflowCounter(ctx, "flaky-writes", 1); err != nil {
				return nil, err
			}
			return nil, workflow.Errorf("Test.Flaky", "not yet")
		}
		return "ok", nil
	})
	ev.engine = workflow.New(s, workflow.Options{Registry: reg, Clock: ev.clock})
	return ev
}

func (ev *env) lastToken() string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.tokens) == 0 {
		ev.t.Fatal("no task token captured")
	}
	return ev.tokens[len(ev.tokens)-1]
}

func (ev *env) create(name, def string) {
	ev.t.Helper()
	if _, err := ev.engine.CreateStateMachine(ev.ctx, workflow.StateMachineInput{Name: name, Definition: json.RawMessage(def)}); err != nil {
		ev.t.Fatalf("create state machine: %v", err)
	}
}

func (ev *env) start(sm, name, input string) *mesh.Execution {
	ev.t.Helper()
	x, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: sm, Name: name, Input: json.RawMessage(input)})
	if err != nil {
		ev.t.Fatalf("start execution: %v", err)
	}
	return x
}

func (ev *env) drain() {
	ev.t.Helper()
	if err := ev.engine.Drain(ev.ctx); err != nil {
		ev.t.Fatalf("drain: %v", err)
	}
}

func (ev *env) get(id string) *mesh.Execution {
	ev.t.Helper()
	x, err := ev.engine.FindExecution(ev.ctx, id)
	if err != nil {
		ev.t.Fatalf("find execution: %v", err)
	}
	return x
}

func (ev *env) wantStatus(id, status string) *mesh.Execution {
	ev.t.Helper()
	x := ev.get(id)
	if x.Status != status {
		ev.t.Fatalf("status: got %v, want %v (error %s: %s)", x.Status, status, x.Error, x.Cause)
	}
	return x
}

func (ev *env) history(id string) []string {
	ev.t.Helper()
	evs, err := ev.engine.History(ev.ctx, id, 0, 0)
	if err != nil {
		ev.t.Fatalf("history: %v", err)
	}
	var out []string
	for i, e := range evs {
		if e.ID != i+1 {
			ev.t.Fatalf("event %d: got id %v, want %v", i, e.ID, i+1)
		}
		out = append(out, e.Type)
	}
	return out
}

func (ev *env) counter(name string) int64 {
	ev.t.Helper()
	var v int64
	err := ev.store.View(ev.ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.FindWorkflowCounter(ev.ctx, name)
		return err
	})
	if err != nil {
		ev.t.Fatalf("counter: %v", err)
	}
	return v
}

const shortMachine = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "kind": "short"}, "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Count"}], "Default": "Done"},
    "Count": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name": "runs"}, "ResultPath": "$.counter", "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

func TestShortExecution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("short", shortMachine)
		x := ev.start("short", "", `{"n": 3}`)
		ev.drain()
		got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		if want := `{"counter":{"Name":"runs","Value":1},"kind":"short","n":3}`; string(got.Output) != want {
			t.Errorf("output: got %s, want %s", got.Output, want)
		}
		want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ChoiceStateEntered", "ChoiceStateExited",
			"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
			"SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}
		if got := ev.history(x.ID); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("history: got %v, want %v", got, want)
		}
		if got := ev.counter("runs"); got != 1 {
			t.Errorf("counter: got %v, want %v", got, 1)
		}
		evs, _ := ev.engine.History(ev.ctx, x.ID, 0, 0)
		for _, e := range evs[1:] {
			if e.PreviousID != e.ID-1 {
				t.Errorf("event %d (%s): got previous id %v, want %v", e.ID, e.Type, e.PreviousID, e.ID-1)
			}
		}
	})
}

// TestHistoryKeepsStatesData: every state's input and output are in its
// history as read back, though the store keeps a value the previous event
// holds once (mesh.HistoryEvent.Repeats); the execution waits for a task
// token between its two transactions.
func TestHistoryKeepsStatesData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("keep", `{"StartAt": "Prepare", "States": {
			"Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "kind": "short"}, "Next": "Route"},
			"Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Ask"}], "Default": "Done"},
			"Ask": {"Type": "Task", "Resource": "test:token.waitForTaskToken", "Parameters": {"token.$": "$$.Task.Token"},
				"ResultPath": "$.answer", "Next": "Done"},
			"Done": {"Type": "Pass", "End": true}}}`)
		x := ev.start("keep", "", `{"n": 3, "big": [1, 2, 3]}`)
		ev.drain()
		if err := ev.engine.SendTaskSuccess(ev.ctx, ev.lastToken(), json.RawMessage(`{"yes": true}`)); err != nil {
			t.Fatalf("success: %v", err)
		}
		ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		evs, err := ev.engine.History(ev.ctx, x.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		const in, prepared, answered = `{"big":[1,2,3],"n":3}`, `{"kind":"short","n":3}`, `{"answer":{"yes":true},"kind":"short","n":3}`
		want := map[string]string{
			"ExecutionStarted":   `{"input":` + in + `,"stateMachine":"keep","version":1}`,
			"PassStateEntered":   `{"input":` + in + `,"name":"Prepare"}`,
			"PassStateExited":    `{"name":"Prepare","output":` + prepared + `}`,
			"ChoiceStateEntered": `{"input":` + prepared + `,"name":"Route"}`,
			"ChoiceStateExited":  `{"name":"Route","output":` + prepared + `}`,
			"TaskStateEntered":   `{"input":` + prepared + `,"name":"Ask"}`,
			"TaskSucceeded":      `{"output":{"yes":true},"resource":"test:token.waitForTaskToken"}`,
			"TaskStateExited":    `{"name":"Ask","output":` + answered + `}`,
			"PassStateEntered2":  `{"input":` + answered + `,"name":"Done"}`,
			"PassStateExited2":   `{"name":"Done","output":` + answered + `}`,
			"ExecutionSucceeded": `{"output":` + answered + `}`,
		}
		seen := map[string]bool{}
		for _, e := range evs {
			key := e.Type
			if seen[key] {
				key += "2"
			}
			seen[key] = true
			if w, ok := want[key]; ok && string(e.Details) != w {
				t.Errorf("event %d %s: got %s, want %s", e.ID, e.Type, e.Details, w)
			}
			delete(want, key)
		}
		if len(want) > 0 {
			t.Errorf("missing events: %v", want)
		}
	})
}

func TestHistoryPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("short", shortMachine)
		x := ev.start("short", "", `{"n": 3}`)
		ev.drain()
		n := len(ev.history(x.ID))
		for _, tt := range []struct {
			after, limit, want int
		}{{0, 5, 5}, {n - 2, 0, 2}, {n, 0, 0}, {n + 10, 0, 0}} {
			evs, err := ev.engine.History(ev.ctx, x.ID, tt.after, tt.limit)
			if err != nil {
				t.Fatalf("history after %d: %v", tt.after, err)
			}
			if len(evs) != tt.want {
				t.Errorf("history after %d, limit %d: got %v events, want %v", tt.after, tt.limit, len(evs), tt.want)
			}
		}
		if _, err := ev.engine.History(ev.ctx, "no-such-execution", 0, 0); mesh.ErrorCode(err) != mesh.ENOTFOUND {
			t.Errorf("unknown execution: got %v, want %v", err, mesh.ENOTFOUND)
		}
	})
}

func TestWaitAndRetryTimers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("timers", `{"StartAt": "Sleep", "States": {
			"Sleep": {"Type": "Wait", "Seconds": 10, "Next": "Try"},
			"Try": {"Type": "Task", "Resource": "test:flaky", "End": true,
				"Retry": [{"ErrorEquals": ["Test.Flaky"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}]}}}`)
		ev.fails = 2
		x := ev.start("timers", "", `{}`)
		steps := []struct {
			advance time.Duration
			status  string
		}{
			{0, mesh.ExecutionRunning},               // waiting 10s
			{9 * time.Second, mesh.ExecutionRunning}, // 1s left
			{time.Second, mesh.ExecutionRunning},     // first failure, retry in 2s
			{2 * time.Second, mesh.ExecutionRunning}, // second failure, retry in 4s
			{3 * time.Second, mesh.ExecutionRunning}, // 1s left
			{time.Second, mesh.ExecutionSucceeded},
		}
		for i, st := range steps {
			ev.clock.Add(st.advance)
			ev.drain()
			if got := ev.get(x.ID).Status; got != st.status {
				t.Fatalf("step %d: got %v, want %v", i, got, st.status)
			}
		}
		if got := ev.counter("flaky-writes"); got != 0 {
			t.Errorf("writes of failed attempts: got %v, want %v", got, 0)
		}
	})
}

const callbackMachine = `{"StartAt": "Ask", "States": {
	"Ask": {"Type": "Task", "Resource": "test:token.waitForTaskToken", "Parameters": {"token.$": "$$.Task.Token"},
		"TimeoutSeconds": 100, "HeartbeatSeconds": 10, "End": true,
		"Catch": [{"ErrorEquals": ["Denied"], "ResultPath": "$.why", "Next": "Denied"}]},
	"Denied": {"Type": "Fail", "Error": "Denied", "Cause": "denied"}}}`

func TestCallbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("cb", callbackMachine)
		ctx := ev.ctx

		// success, then the same token again
		x := ev.start("cb", "ok", `{}`)
		ev.drain()
		tok := ev.lastToken()
		if len(tok) < 22 {
			t.Fatalf("token %q is shorter than 128 bits", tok)
		}
		ev.clock.Add(8 * time.Second)
		if err := ev.engine.SendTaskHeartbeat(ctx, tok); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		ev.clock.Add(8 * time.Second) // 16s after start: alive thanks to the heartbeat
		ev.drain()
		ev.wantStatus(x.ID, mesh.ExecutionRunning)
		if err := ev.engine.SendTaskSuccess(ctx, tok, json.RawMessage(`{"approved": true}`)); err != nil {
			t.Fatalf("success: %v", err)
		}
		got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		if string(got.Output) != `{"approved":true}` {
			t.Errorf("output: got %s, want %s", got.Output, `{"approved":true}`)
		}
		if err := ev.engine.SendTaskSuccess(ctx, tok, nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("reused token: got %v, want %v", err, mesh.ECONFLICT)
		}
		if err := ev.engine.SendTaskSuccess(ctx, "bm90LWEtdG9rZW4tYXQtYWxsLW5vdC1hLXRva2Vu", nil); mesh.ErrorCode(err) != mesh.ENOTFOUND {
			t.Errorf("unknown token: got %v, want %v", err, mesh.ENOTFOUND)
		}

		// failure caught by the state's Catch
		y := ev.start("cb", "deny", `{}`)
		ev.drain()
		if err := ev.engine.SendTaskFailure(ctx, ev.lastToken(), "Denied", "no"); err != nil {
			t.Fatalf("failure: %v", err)
		}
		if got := ev.wantStatus(y.ID, mesh.ExecutionFailed); got.Error != "Denied" {
			t.Errorf("error: got %v, want %v", got.Error, "Denied")
		}

		// heartbeat timeout, then the late token changes nothing
		z := ev.start("cb", "late", `{}`)
		ev.drain()
		late := ev.lastToken()
		ev.clock.Add(11 * time.Second)
		if err := ev.engine.SendTaskSuccess(ctx, late, nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("late token: got %v, want %v", err, mesh.ECONFLICT)
		}
		ev.drain()
		if got := ev.wantStatus(z.ID, mesh.ExecutionFailed); got.Error != "States.HeartbeatTimeout" {
			t.Errorf("error: got %v, want %v", got.Error, "States.HeartbeatTimeout")
		}
		if err := ev.engine.SendTaskSuccess(ctx, late, nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("expired token: got %v, want %v", err, mesh.ECONFLICT)
		}
	})
}

// callCounter is a store that counts the calls of some methods of its
// write transactions, by method and execution.
type callCounter struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (s *callCounter) Unwrap() store.Store { return s.Store }

func (s *callCounter) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(callCounterTx{tx, s}) })
}

func (s *callCounter) add(method, executionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method+" "+executionID]++
}

func (s *callCounter) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

func (s *callCounter) count(method, executionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method+" "+executionID]
}

type callCounterTx struct {
	store.Tx
	s *callCounter
}

func (tx callCounterTx) LockExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	tx.s.add("LockExecution", id)
	return tx.Tx.LockExecution(ctx, id)
}

func (tx callCounterTx) UpdateTaskTokens(ctx context.Context, executionID string, attempt int64, status string, now time.Time) error {
	tx.s.add("UpdateTaskTokens", executionID)
	return tx.Tx.UpdateTaskTokens(ctx, executionID, attempt, status, now)
}

func (tx callCounterTx) CancelOutboxTasks(ctx context.Context, executionID string, attempt int64) error {
	tx.s.add("CancelOutboxTasks", executionID)
	return tx.Tx.CancelOutboxTasks(ctx, executionID, attempt)
}

// A task's result, by callback or from the outbox, locks its execution
// once and withdraws nothing its delivery already settled.
func TestResultDeliveryStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		cs := &callCounter{Store: s, calls: map[string]int{}}
		ev := newEnv(t, cs)
		ev.engine.Registry().RegisterExternal("test:external", func(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
			return "done", nil
		})
		ev.create("cb", callbackMachine)
		ev.create("ext", `{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "test:external", "End": true}}}`)
		want := func(id string, method string, n int) {
			t.Helper()
			if got := cs.count(method, id); got != n {
				t.Errorf("%s calls: got %v, want %v", method, got, n)
			}
		}

		x := ev.start("cb", "", `{}`)
		ev.drain()
		cs.reset()
		if err := ev.engine.SendTaskSuccess(ev.ctx, ev.lastToken(), json.RawMessage(`{}`)); err != nil {
			t.Fatalf("success: %v", err)
		}
		ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		want(x.ID, "LockExecution", 1)
		want(x.ID, "UpdateTaskTokens", 1) // the token is used, and that is all
		want(x.ID, "CancelOutboxTasks", 0)

		y := ev.start("ext", "", `{}`)
		ev.drain()
		cs.reset()
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 1 {
			t.Fatalf("send outbox: got %v, %v, want 1 task", n, err)
		}
		if got := ev.wantStatus(y.ID, mesh.ExecutionSucceeded); string(got.Output) != `"done"` {
			t.Errorf("output: got %s, want %s", got.Output, `"done"`)
		}
		want(y.ID, "LockExecution", 1)
		want(y.ID, "UpdateTaskTokens", 0)
		want(y.ID, "CancelOutboxTasks", 0)

		// a token used before its outbox entry is done still cancels the entry
		ev.engine.Registry().RegisterExternal("test:early", func(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
			tok, _ := input.(map[string]any)["token"].(string)
			return nil, ev.engine.SendTaskSuccess(ctx, tok, json.RawMessage(`"early"`))
		})
		ev.create("early", `{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "test:early.waitForTaskToken",
			"Parameters": {"token.$": "$$.Task.Token"}, "End": true}}}`)
		w := ev.start("early", "", `{}`)
		cs.reset()
		if n, err := ev.engine.SendOutboxOnce(ev.ctx); err != nil || n != 1 {
			t.Fatalf("send outbox: got %v, %v, want 1 task", n, err)
		}
		if got := ev.wantStatus(w.ID, mesh.ExecutionSucceeded); string(got.Output) != `"early"` {
			t.Errorf("output: got %s, want %s", got.Output, `"early"`)
		}
		want(w.ID, "CancelOutboxTasks", 1)

		// a timed-out callback task still expires its token
		z := ev.start("cb", "", `{}`)
		ev.drain()
		tok := ev.lastToken()
		ev.clock.Add(11 * time.Second)
		ev.drain()
		ev.wantStatus(z.ID, mesh.ExecutionFailed)
		if err := ev.engine.SendTaskSuccess(ev.ctx, tok, nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("expired token: got %v, want %v", err, mesh.ECONFLICT)
		}
	})
}

func TestStartIsIdempotentByName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("short", shortMachine)
		a := ev.start("short", "order-1", `{"n": 1}`)
		b, existed, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "short", Name: "order-1", Input: json.RawMessage(`{ "n" : 1 }`)})
		if err != nil || !existed || b.ID != a.ID {
			t.Fatalf("same name and input: got %v %v %v, want the existing execution", b, existed, err)
		}
		_, _, err = ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "short", Name: "order-1", Input: json.RawMessage(`{"n": 2}`)})
		if mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("other input: got %v, want %v", err, mesh.ECONFLICT)
		}
	})
}

func TestConcurrentStartsShareCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("short", shortMachine)
		var wg sync.WaitGroup
		ids := make([]string, 50)
		for i := range ids {
			wg.Go(func() {
				x, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "short", Input: json.RawMessage(`{"n": 1}`)})
				if err != nil {
					t.Errorf("start: %v", err)
					return
				}
				ids[i] = x.ID
			})
		}
		wg.Wait()
		ev.drain()
		for _, id := range ids {
			ev.wantStatus(id, mesh.ExecutionSucceeded)
		}
		if got := ev.counter("runs"); got != int64(len(ids)) {
			t.Errorf("counter: got %v, want %v", got, len(ids))
		}
	})
}

// TestStartWakesDispatcherOnlyForRunning: a start whose execution ended in
// its first steps leaves the dispatcher asleep; one still running wakes it.
func TestStartWakesDispatcherOnlyForRunning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("done", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)
		ev.create("sleep", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}`)
		ev.engine.Kicked()
		x := ev.start("done", "", `{}`)
		if x.Status != mesh.ExecutionSucceeded {
			t.Fatalf("got %s, want an execution that ends in its start", x.Status)
		}
		if ev.engine.Kicked() {
			t.Errorf("an execution that ended in its start woke the dispatcher")
		}
		if x := ev.start("sleep", "", `{}`); x.Status != mesh.ExecutionRunning {
			t.Fatalf("got %s, want a waiting execution", x.Status)
		}
		if !ev.engine.Kicked() {
			t.Errorf("a waiting execution's start did not wake the dispatcher")
		}
	})
}

func TestStopExecution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("cb", callbackMachine)
		x := ev.start("cb", "", `{}`)
		ev.drain()
		tok := ev.lastToken()
		if _, err := ev.engine.StopExecution(ev.ctx, x.ID, "Operator", "stopped by hand"); err != nil {
			t.Fatalf("stop: %v", err)
		}
		got := ev.wantStatus(x.ID, mesh.ExecutionAborted)
		if got.Error != "Operator" {
			t.Errorf("error: got %v, want %v", got.Error, "Operator")
		}
		h := ev.history(x.ID)
		if h[len(h)-1] != "ExecutionAborted" {
			t.Errorf("last event: got %v, want %v", h[len(h)-1], "ExecutionAborted")
		}
		if err := ev.engine.SendTaskSuccess(ev.ctx, tok, nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("token of a stopped execution: got %v, want %v", err, mesh.ECONFLICT)
		}
		if _, err := ev.engine.StopExecution(ev.ctx, x.ID, "", ""); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("stop again: got %v, want %v", err, mesh.ECONFLICT)
		}
	})
}

func TestVersionsAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("flow", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "P"}, "P": {"Type": "Pass", "Result": "v1", "End": true}}}`)
		x := ev.start("flow", "", `{}`)
		ev.drain()
		sm, err := ev.engine.UpdateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "flow",
			Definition: json.RawMessage(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": true}}}`)})
		if err != nil || sm.Version != 2 {
			t.Fatalf("update: got %v %v, want version 2", sm, err)
		}
		y := ev.start("flow", "", `{}`)
		if err := ev.engine.DeleteStateMachine(ev.ctx, "flow", false); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("delete while running: got %v, want %v", err, mesh.ECONFLICT)
		}
		ev.clock.Add(5 * time.Second)
		ev.drain()
		if got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded); string(got.Output) != `"v1"` || got.Version != 1 {
			t.Errorf("old execution: got %s (version %d), want \"v1\" (version 1)", got.Output, got.Version)
		}
		if got := ev.wantStatus(y.ID, mesh.ExecutionSucceeded); string(got.Output) != `"v2"` {
			t.Errorf("new execution: got %s, want \"v2\"", got.Output)
		}
		ev.start("flow", "", `{}`)
		ev.clock.Add(time.Second)
		if err := ev.engine.DeleteStateMachine(ev.ctx, "flow", false); err != nil {
			// the last start has not run yet
			if err := ev.engine.DeleteStateMachine(ev.ctx, "flow", true); err != nil {
				t.Fatalf("forced delete: %v", err)
			}
		}
		if _, err := ev.engine.FindStateMachine(ev.ctx, "flow", 0); mesh.ErrorCode(err) != mesh.ENOTFOUND {
			t.Errorf("after delete: got %v, want %v", err, mesh.ENOTFOUND)
		}
	})
}

// afterList is a store that runs a function once in a write transaction,
// right after the transaction lists executions, so that what the lister
// does next works on a list made stale, as a concurrent transaction may.
type afterList struct {
	store.Store
	fn func(tx store.Tx) error // cleared when run
}

func (s *afterList) Unwrap() store.Store { return s.Store }

func (s *afterList) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(afterListTx{tx, s}) })
}

type afterListTx struct {
	store.Tx
	s *afterList
}

func (tx afterListTx) FindExecutions(ctx context.Context, f store.ExecutionFilter) ([]*mesh.Execution, error) {
	out, err := tx.Tx.FindExecutions(ctx, f)
	if fn := tx.s.fn; err == nil && fn != nil {
		tx.s.fn = nil
		err = fn(tx.Tx)
	}
	return out, err
}

// A forced delete aborts the executions it lists as running, but not one
// that ended between the list and the delete's lock on it: that one keeps
// its end, recorded once, and its end hooks run once.
func TestForcedDeleteKeepsEndsMadeMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		hooked := &afterList{Store: s}
		ev := newEnv(t, hooked)
		ends := map[string]int{}
		ev.engine.OnExecutionEnd(func(ctx context.Context, tx store.Tx, x *mesh.Execution) error {
			tx.AfterCommit(func() { ends[x.ID]++ })
			return nil
		})
		ev.create("cb", callbackMachine)
		answered := ev.start("cb", "", `{}`)
		tok := ev.lastToken()
		waiting := ev.start("cb", "", `{}`)
		succeed := func(tx store.Tx) error {
			return ev.engine.SucceedTaskTx(ev.ctx, tx, workflow.HashToken(tok), "ok")
		}
		hooked.fn = func(tx store.Tx) error {
			if s.Dialect() == "postgres" {
				// the answer commits while the delete holds its list
				return s.Update(ev.ctx, succeed)
			}
			// SQLite's one writer runs no transaction beside the delete:
			// the answer goes in the delete's, where the race would put it
			return succeed(tx)
		}
		if err := ev.engine.DeleteStateMachine(ev.ctx, "cb", true); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if hooked.fn != nil {
			t.Fatal("the delete listed no executions")
		}
		for _, tt := range []struct {
			id, status, last string
		}{
			{answered.ID, mesh.ExecutionSucceeded, "ExecutionSucceeded"},
			{waiting.ID, mesh.ExecutionAborted, "ExecutionAborted"},
		} {
			got := ev.get(tt.id)
			h := ev.history(tt.id)
			if got.Status != tt.status || strings.Count(strings.Join(h, ","), "Execution") != 2 || h[len(h)-1] != tt.last || ends[tt.id] != 1 {
				t.Errorf("got %v with history %v, end hooks run %d times; want %v, ending in %v alone, end hooks run once",
					got.Status, h, ends[tt.id], tt.status, tt.last)
			}
		}
	})
}

func TestInvalidDefinitionListsEveryProblem(t *testing.T) {
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	_, err := ev.engine.CreateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "bad", Definition: json.RawMessage(`{
		"StartAt": "A", "States": {
			"A": {"Type": "Task", "Resource": "nope:nothing", "Next": "Missing"},
			"B": {"Type": "Pass", "End": true}}}`)})
	var me *mesh.Error
	if !asMeshError(err, &me) || me.Code != mesh.EINVALID {
		t.Fatalf("got %v, want an %s error", err, mesh.EINVALID)
	}
	details, _ := me.Details.([]map[string]string)
	if len(details) != 2 {
		t.Errorf("problems: got %v, want 2 (unknown Next, unreachable B)", details)
	}
	_, err = ev.engine.CreateStateMachine(ev.ctx, workflow.StateMachineInput{Name: "bad", Definition: json.RawMessage(`{
		"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "nope:nothing", "End": true}}}`)})
	if !asMeshError(err, &me) || !strings.Contains(me.Message, "nope:nothing") {
		t.Errorf("unknown resource: got %v, want an error naming it", err)
	}
}

func TestLimits(t *testing.T) {
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	ev.create("loop", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
		"B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "A"},
		"Done": {"Type": "Succeed"}}}`)
	big := `{"x": "` + strings.Repeat("a", workflow.MaxPayloadSize) + `"}`
	_, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "loop", Input: json.RawMessage(big)})
	if mesh.ErrorCode(err) != mesh.ETOOLARGE {
		t.Errorf("large input: got %v, want %v", err, mesh.ETOOLARGE)
	}
	x := ev.start("loop", "", `{}`)
	ev.drain()
	got := ev.wantStatus(x.ID, mesh.ExecutionFailed)
	if !strings.Contains(got.Cause, "25000") || got.Events > workflow.MaxHistoryEvents {
		t.Errorf("history limit: got %d events, cause %q", got.Events, got.Cause)
	}
	// one step that would pass the limit at once
	ev.create("wide", `{"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`)
	items := make([]string, 26000)
	for i := range items {
		items[i] = "1"
	}
	w := ev.start("wide", "", "["+strings.Join(items, ",")+"]")
	ev.drain()
	if got := ev.wantStatus(w.ID, mesh.ExecutionFailed); got.Events > workflow.MaxHistoryEvents || !strings.Contains(got.Cause, "25000") {
		t.Errorf("wide map: got %d events, cause %q", got.Events, got.Cause)
	}
	ev.create("slow", `{"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}`)
	y := ev.start("slow", "", `{}`)
	ev.drain()
	ev.clock.Add(time.Minute)
	ev.drain()
	ev.wantStatus(y.ID, mesh.ExecutionTimedOut)
}

func TestParallelAndMap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("fan", `{"StartAt": "Both", "States": {
			"Both": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both", "Branches": [
				{"StartAt": "One", "States": {"One": {"Type": "Pass", "Result": 1, "End": true}}},
				{"StartAt": "Two", "States": {"Two": {"Type": "Wait", "Seconds": 1, "Next": "Two2"}, "Two2": {"Type": "Pass", "Result": 2, "End": true}}}]},
			"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.counted", "End": true,
				"ItemProcessor": {"StartAt": "Count", "States": {
					"Count": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name.$": "$"}, "ResultSelector": {"v.$": "$.Value"}, "End": true}}}}}}`)
		x := ev.start("fan", "", `{"items": ["a", "b", "a", "c"]}`)
		ev.drain()
		ev.wantStatus(x.ID, mesh.ExecutionRunning)
		ev.clock.Add(time.Second)
		ev.drain()
		got := ev.wantStatus(x.ID, mesh.ExecutionSucceeded)
		want := `{"both":[1,2],"counted":[{"v":1},{"v":1},{"v":2},{"v":1}],"items":["a","b","a","c"]}`
		if string(got.Output) != want {
			t.Errorf("output: got %s, want %s", got.Output, want)
		}
	})
}

func TestPayloadLimitBetweenStates(t *testing.T) {
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	// 200 KiB input doubled by a Parallel state's two branches
	ev.create("grow", `{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
		{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
		{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}}`)
	x := ev.start("grow", "", `{"x": "`+strings.Repeat("a", 200<<10)+`"}`)
	ev.drain()
	if got := ev.wantStatus(x.ID, mesh.ExecutionFailed); got.Error != "States.DataLimitExceeded" {
		t.Errorf("error: got %v, want %v", got.Error, "States.DataLimitExceeded")
	}
}

func TestRecreatedStateMachineGetsNewVersions(t *testing.T) {
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	ev.create("flow", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "old", "End": true}}}`)
	x := ev.start("flow", "", `{}`)
	if err := ev.engine.DeleteStateMachine(ev.ctx, "flow", false); err != nil {
		t.Fatal(err)
	}
	ev.create("flow", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "new", "End": true}}}`)
	y := ev.start("flow", "", `{}`)
	if got := ev.get(y.ID); got.Version != 2 || string(got.Output) != `"new"` {
		t.Errorf("new execution: got version %d output %s, want version 2 output \"new\"", got.Version, got.Output)
	}
	if got := ev.get(x.ID); got.Version != 1 || string(got.Output) != `"old"` {
		t.Errorf("old execution: got version %d output %s, want version 1 output \"old\"", got.Version, got.Output)
	}
}

// No execution starts with a version of a deleted state machine, named or
// latest, even once the name is created again; a version below 0 is bad
// input, not the latest.
func TestStartOnlyLiveVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("flow", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "old", "End": true}}}`)
		if err := ev.engine.DeleteStateMachine(ev.ctx, "flow", false); err != nil {
			t.Fatal(err)
		}
		ev.create("gone", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)
		if err := ev.engine.DeleteStateMachine(ev.ctx, "gone", false); err != nil {
			t.Fatal(err)
		}
		ev.create("flow", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "new", "End": true}}}`)
		tests := []struct {
			name    string
			version int
			code    string // of the start's error
			field   string
		}{
			{"gone", 0, mesh.ENOTFOUND, ""},
			{"gone", 1, mesh.ENOTFOUND, ""},
			{"flow", 1, mesh.ENOTFOUND, ""}, // deleted before flow was created again
			{"flow", 2, "", ""},
			{"flow", 0, "", ""},
			{"flow", -1, mesh.EINVALID, "version"},
		}
		for _, tt := range tests {
			x, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: tt.name, Version: tt.version})
			var me *mesh.Error
			var field string
			if asMeshError(err, &me) {
				field = me.Field
			}
			if mesh.ErrorCode(err) != tt.code || field != tt.field {
				t.Errorf("start %s version %d: got %v, want code %q naming %q", tt.name, tt.version, err, tt.code, tt.field)
			}
			if err == nil && (x.Version != 2 || string(x.Output) != `"new"`) {
				t.Errorf("start %s version %d: got version %d output %s, want version 2 output \"new\"", tt.name, tt.version, x.Version, x.Output)
			}
		}
	})
}

func TestTaskTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("cb", callbackMachine)
		tests := []struct {
			name      string
			heartbeat bool
			want      string
		}{
			{"no heartbeat", false, "States.HeartbeatTimeout"},
			{"heartbeats until the task timeout", true, "States.Timeout"},
		}
		for _, tt := range tests {
			x := ev.start("cb", "", `{}`)
			ev.drain()
			tok := ev.lastToken()
			for elapsed := 0; elapsed < 100; elapsed += 5 {
				ev.clock.Add(5 * time.Second)
				if tt.heartbeat {
					ev.engine.SendTaskHeartbeat(ev.ctx, tok)
				}
				ev.drain()
			}
			got := ev.wantStatus(x.ID, mesh.ExecutionFailed)
			if got.Error != tt.want {
				t.Errorf("%s: got %v, want %v", tt.name, got.Error, tt.want)
			}
			if got.Deadline != got.StartedAt.Add(workflow.MaxDuration) {
				t.Errorf("%s: deadline: got %v, want a year after the start", tt.name, got.Deadline)
			}
			h := ev.history(x.ID)
			if !strings.Contains(strings.Join(h, ","), "TaskTimedOut") {
				t.Errorf("%s: history %v has no TaskTimedOut", tt.name, h)
			}
		}
	})
}

func TestRacingStartsOfOneNameRunOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("short", shortMachine)
		other := workflow.New(s, workflow.Options{Registry: ev.engine.Registry(), Clock: ev.clock})
		const names = 20
		var mu sync.Mutex
		ids := map[string]map[string]bool{}
		var wg sync.WaitGroup
		for i := range names * 4 {
			e := ev.engine
			if i%2 == 1 {
				e = other
			}
			name := fmt.Sprintf("n-%d", (i/2)%names)
			wg.Go(func() {
				x, _, err := e.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "short", Name: name, Input: json.RawMessage(`{"n": 1}`)})
				if err != nil {
					if mesh.ErrorCode(err) != mesh.ECONFLICT {
						t.Errorf("start %s: %v", name, err)
					}
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ids[name] == nil {
					ids[name] = map[string]bool{}
				}
				ids[name][x.ID] = true
			})
		}
		wg.Wait()
		for name, set := range ids {
			if len(set) != 1 {
				t.Errorf("%s: got %d executions, want 1", name, len(set))
			}
		}
		ev.drain()
		if got := ev.counter("runs"); got != names {
			t.Errorf("counter: got %v, want %v", got, names)
		}
	})
}

func TestBranchAndItemFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("fail", `{"StartAt": "Both", "States": {
			"Both": {"Type": "Parallel", "Next": "Each", "ResultPath": null,
				"Catch": [{"ErrorEquals": ["Branch.Broke"], "ResultPath": "$.caught", "Next": "Each"}],
				"Branches": [
					{"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "test:token.waitForTaskToken", "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}},
					{"StartAt": "Broke", "States": {"Broke": {"Type": "Fail", "Error": "Branch.Broke", "Cause": "b"}}}]},
			"Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
				"ItemProcessor": {"StartAt": "Check", "States": {
					"Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 2, "Next": "TooBig"}], "Default": "Ok"},
					"TooBig": {"Type": "Fail", "Error": "Item.TooBig"},
					"Ok": {"Type": "Pass", "End": true}}}}}}`)
		x := ev.start("fail", "", `{"items": [1, 2, 3]}`)
		ev.drain()
		got := ev.wantStatus(x.ID, mesh.ExecutionFailed)
		if got.Error != "Item.TooBig" {
			t.Errorf("error: got %v, want %v", got.Error, "Item.TooBig")
		}
		// the aborted branch's token is withdrawn
		if err := ev.engine.SendTaskSuccess(ev.ctx, ev.lastToken(), nil); mesh.ErrorCode(err) != mesh.ECONFLICT {
			t.Errorf("token of an aborted branch: got %v, want %v", err, mesh.ECONFLICT)
		}
		h := strings.Join(ev.history(x.ID), ",")
		for _, want := range []string{"ParallelStateFailed", "MapIterationFailed", "MapStateFailed", "ExecutionFailed"} {
			if !strings.Contains(h, want) {
				t.Errorf("history has no %s: %s", want, h)
			}
		}
	})
}

// A branch or item that fails inside a nested Parallel or Map state with no
// Catch of its own fails that state, and an enclosing state's Catch takes
// the error: the failed state's other branches or items are abandoned
// (their tasks never run) and the execution goes on from the Catch.
func TestFailureInNestedBranchCaughtOutside(t *testing.T) {
	// the branch that fails, and the one beside it that would count
	const broke = `{"StartAt": "Broke", "States": {"Broke": {"Type": "Fail", "Error": "Branch.Broke", "Cause": "b"}}}`
	const count = `{"StartAt": "Count", "States": {"Count": {"Type": "Task", "Resource": "meshgate:counter:increment",
		"Parameters": {"Name": "abandoned"}, "End": true}}}`
	// items "fail" and "count" do the same in a Map
	const item = `{"StartAt": "Which", "States": {
		"Which": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "fail", "Next": "Broke"}], "Default": "Count"},
		"Broke": {"Type": "Fail", "Error": "Branch.Broke", "Cause": "b"},
		"Count": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name": "abandoned"}, "End": true}}}`
	const catch = `"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Recovered"}]`
	tests := []struct {
		name, outer string
	}{
		{"parallel in parallel", `{"Type": "Parallel", "End": true, ` + catch + `, "Branches": [
			{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [` + broke + `, ` + count + `]}}}]}`},
		{"map in parallel", `{"Type": "Parallel", "End": true, ` + catch + `, "Branches": [
			{"StartAt": "Inner", "States": {"Inner": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": ` + item + `}}}]}`},
		{"parallel in map", `{"Type": "Map", "ItemsPath": "$.items", "End": true, ` + catch + `, "ItemProcessor":
			{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [` + broke + `, ` + count + `]}}}}`},
		{"parallel in parallel in parallel", `{"Type": "Parallel", "End": true, ` + catch + `, "Branches": [
			{"StartAt": "Middle", "States": {"Middle": {"Type": "Parallel", "End": true, "Branches": [
				{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [` + broke + `, ` + count + `]}}}]}}}]}`},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		for i, tt := range tests {
			name := fmt.Sprintf("nested%d", i)
			ev.create(name, `{"StartAt": "Outer", "States": {"Outer": `+tt.outer+`, "Recovered": {"Type": "Pass", "End": true}}}`)
			before := ev.counter("abandoned")
			x := ev.start(name, "", `{"items": ["fail", "count"]}`)
			ev.drain()
			got := ev.get(x.ID)
			if got.Status != mesh.ExecutionSucceeded || !strings.Contains(string(got.Output), `"Error":"Branch.Broke"`) {
				t.Errorf("%s: got %v (%s: %s) with output %s, want SUCCEEDED through the outer Catch of Branch.Broke",
					tt.name, got.Status, got.Error, got.Cause, got.Output)
			}
			if n := ev.counter("abandoned") - before; n != 0 {
				t.Errorf("%s: counted: got %d, want 0 (the abandoned branch's task never runs)", tt.name, n)
			}
		}
	})
}

// TestParsedValuesStayJSON: values parsed from JSON text inside a state (a
// number too large for int64, a character escaped as a surrogate pair, in
// States.StringToJson and in an execution's input) are values the engine
// can store: such an execution ends as its machine says, and another
// advanced in the same pass is not held back by it.
func TestParsedValuesStayJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ev := newEnv(t, s)
		ev.create("parse", `{"StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":1,"Next":"P"},
			"P":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.s)","face.$":"$.face"},"End":true}}}`)
		ev.create("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"Done"},"Done":{"Type":"Succeed"}}}`)
		parsed := ev.start("parse", "", `{"s":"{\"a\":123456789012345678901234567890,\"b\":\"\\ud83d\\ude00\"}","face":"\ud83d\ude00"}`)
		other := ev.start("wait", "", `{}`)
		ev.drain()
		ev.clock.Add(2 * time.Second)
		ev.drain()
		ev.wantStatus(other.ID, mesh.ExecutionSucceeded)
		x := ev.wantStatus(parsed.ID, mesh.ExecutionSucceeded)
		if want := `{"face":"😀","v":{"a":1.2345678901234568e+29,"b":"😀"}}`; string(x.Output) != want {
			t.Errorf("output: got %s, want %s", x.Output, want)
		}
	})
}
