package asl

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// taskFunc fakes task resources for the test driver.
type taskFunc func(resource string, input any) (any, *StateError)

// runResult is how a frame ended, with what happened along the way.
type runResult struct {
	Status string // "SUCCEEDED" or "FAILED"
	Output any
	Error  string
	Cause  string
	Events []EventType
	Waits  []time.Time
	Delays []time.Duration
	States []string
}

// testNow is the fixed current time the driver gives the interpreter.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// runMachine runs m to its end with fake tasks, recursing into branches and
// items, as a minimal engine would.
func runMachine(t *testing.T, m *Machine, input any, tasks taskFunc) runResult {
	t.Helper()
	var res runResult
	if err := drive(m, input, tasks, &res, 0); err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func drive(m *Machine, input any, tasks taskFunc, res *runResult, depth int) error {
	if depth > 10 {
		return fmt.Errorf("nested too deeply")
	}
	ctx := &Context{Now: testNow, Rand: rand.New(rand.NewPCG(1, 2)),
		Execution: ExecutionInfo{ID: "exec-1", Name: "run", Input: input, StartTime: testNow}}
	name, stateInput := m.StartAt, input
	ctx.State = StateInfo{Name: name, EnteredTime: testNow}
	enter := func() (Outcome, error) {
		ctx.Task = nil
		if st := m.States[name]; st != nil && strings.HasSuffix(st.Resource, ".waitForTaskToken") {
			ctx.Task = &TaskInfo{Token: "token-" + name}
		}
		return m.Enter(name, stateInput, ctx)
	}
	out, err := enter()
	for steps := 0; ; steps++ {
		if err != nil {
			return err
		}
		if steps > 1000 {
			return fmt.Errorf("too many steps")
		}
		res.Events = append(res.Events, out.Events...)
		if len(res.States) == 0 || res.States[len(res.States)-1] != name {
			res.States = append(res.States, name)
		}
		switch out.Kind {
		case Goto:
			name, stateInput = out.Next, out.Output
			ctx.State = StateInfo{Name: name, EnteredTime: testNow}
			ctx.Attempts = nil
			out, err = enter()
		case Succeeded:
			res.Status, res.Output = "SUCCEEDED", out.Output
			return nil
		case Failed:
			res.Status, res.Error, res.Cause = "FAILED", out.Error, out.Cause
			return nil
		case Wait:
			res.Waits = append(res.Waits, out.Until)
			res.Events = append(res.Events, EventWaitStateExited)
			if out.End {
				res.Status, res.Output = "SUCCEEDED", out.Output
				return nil
			}
			name, stateInput = out.Next, out.Output
			ctx.State = StateInfo{Name: name, EnteredTime: testNow}
			ctx.Attempts = nil
			out, err = enter()
		case RetryAfter:
			res.Delays = append(res.Delays, out.Retry.Delay)
			ctx.Attempts = out.Retry.Attempts
			ctx.State.RetryCount = out.Retry.RetryCount
			out, err = enter()
		case RunTask:
			result, serr := tasks(out.Task.Resource, out.Task.Input)
			if serr != nil {
				out = m.Fail(name, stateInput, *serr, ctx)
			} else {
				out, err = m.Complete(name, stateInput, result, ctx)
			}
		case RunBranches, RunItems:
			var frames []Branch
			if out.Kind == RunBranches {
				frames = out.Branches
			} else {
				for _, in := range out.Items.Inputs {
					frames = append(frames, Branch{Machine: out.Items.Processor, Input: in})
				}
			}
			outputs := make([]any, 0, len(frames))
			var failure *StateError
			for _, f := range frames {
				var sub runResult
				if err := drive(f.Machine, f.Input, tasks, &sub, depth+1); err != nil {
					return err
				}
				res.Events = append(res.Events, sub.Events...)
				if sub.Status == "FAILED" {
					failure = &StateError{Name: sub.Error, Cause: sub.Cause}
					break
				}
				outputs = append(outputs, sub.Output)
			}
			if failure != nil {
				out = m.Fail(name, stateInput, *failure, ctx)
			} else {
				out, err = m.Complete(name, stateInput, outputs, ctx)
			}
		default:
			return fmt.Errorf("unexpected outcome %v", out.Kind)
		}
	}
}

// mustParse parses a definition or fails the test.
func mustParse(t testing.TB, def string) *Machine {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

// mustJSON parses a JSON value or fails the test.
func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("parse json %s: %v", s, err)
	}
	return v
}

// assertJSON compares a value with the JSON it should equal.
func assertJSON(t *testing.T, got any, want string) {
	t.Helper()
	w := mustJSON(t, want)
	if !reflect.DeepEqual(normalize(got), normalize(w)) {
		g, _ := MarshalJSON(got)
		t.Errorf("got %s, want %s", g, want)
	}
}

// normalize makes integral floats int64 so that 2 and 2.0 compare equal.
func normalize(v any) any {
	switch t := v.(type) {
	case float64:
		if n, ok := asInteger(t); ok {
			return n
		}
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = normalize(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = normalize(e)
		}
		return a
	}
	return v
}

// echoTasks returns every task's input as its result.
func echoTasks(resource string, input any) (any, *StateError) { return input, nil }
