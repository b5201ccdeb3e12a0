package asl

import (
	"math/rand/v2"
	"time"
)

// Context carries what the engine knows about the execution and the state
// being stepped. Its Execution, State, StateMachine, Task and Map parts make
// up the context object that paths starting with "$$" read; Now, Attempts
// and Rand are inputs of the step itself and are not visible to paths.
type Context struct {
	Execution    ExecutionInfo
	State        StateInfo
	StateMachine StateMachineInfo
	// Task is set while a task that may receive a task token runs.
	Task *TaskInfo
	// Map is set by the interpreter itself while ItemSelector is evaluated.
	Map *MapInfo

	// Now is the current time, used by Wait states to compute wake times.
	Now time.Time
	// Attempts holds, for the state being retried, the number of retries
	// each of its Retriers has made so far (index i for Retry[i]). The
	// engine keeps it from the RetryAfter outcome and resets it to nil when
	// the execution moves to another state.
	Attempts []int
	// Rand is the step's only source of randomness: Fail draws the jitter
	// of Retriers with "JitterStrategy": "FULL" from it, and the intrinsic
	// functions States.UUID and States.MathRandom (without a seed) their
	// values. When nil, no jitter is applied and the intrinsic functions use
	// the default sources. A *rand.Rand is not safe for concurrent use.
	Rand *rand.Rand
}

// ExecutionInfo is $$.Execution.
type ExecutionInfo struct {
	ID        string
	Name      string
	RoleArn   string
	StartTime time.Time
	Input     any
}

// StateInfo is $$.State.
type StateInfo struct {
	Name        string
	EnteredTime time.Time
	// RetryCount is the number of retries of the current state so far.
	RetryCount int
}

// StateMachineInfo is $$.StateMachine.
type StateMachineInfo struct {
	ID   string
	Name string
}

// TaskInfo is $$.Task.
type TaskInfo struct {
	Token string
}

// MapInfo is $$.Map.
type MapInfo struct {
	Item MapItem
}

// MapItem is $$.Map.Item: the item an ItemSelector is evaluated for.
type MapItem struct {
	Index int
	Value any
}

// TimeFormat is the layout of timestamps in the context object, as Step
// Functions writes them (RFC 3339, UTC, milliseconds).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// Object returns the context object as a JSON value tree.
func (c *Context) Object() map[string]any {
	if c == nil {
		c = &Context{}
	}
	o := map[string]any{
		"Execution": map[string]any{
			"Id":        c.Execution.ID,
			"Name":      c.Execution.Name,
			"RoleArn":   c.Execution.RoleArn,
			"StartTime": formatTime(c.Execution.StartTime),
			"Input":     c.Execution.Input,
		},
		"State": map[string]any{
			"Name":        c.State.Name,
			"EnteredTime": formatTime(c.State.EnteredTime),
			"RetryCount":  int64(c.State.RetryCount),
		},
		"StateMachine": map[string]any{
			"Id":   c.StateMachine.ID,
			"Name": c.StateMachine.Name,
		},
	}
	if c.Task != nil {
		o["Task"] = map[string]any{"Token": c.Task.Token}
	}
	if c.Map != nil {
		o["Map"] = map[string]any{"Item": map[string]any{
			"Index": int64(c.Map.Item.Index),
			"Value": c.Map.Item.Value,
		}}
	}
	return o
}

// scope is what paths resolve against while one state is processed: "$" is
// data, "$$" the context object, built only when a path needs it.
type scope struct {
	ctx    *Context
	name   string // the state's name, for $$.State.Name when ctx leaves it empty
	ctxObj map[string]any
}

func (s *scope) contextObject() map[string]any {
	if s.ctxObj == nil {
		s.ctxObj = s.ctx.Object()
		if st, ok := s.ctxObj["State"].(map[string]any); ok && st["Name"] == "" {
			st["Name"] = s.name
		}
	}
	return s.ctxObj
}

// eval applies p to data or, for "$$" paths, to the context object.
func (s *scope) eval(p *jsonPath, data any) (any, error) {
	if p.context {
		return p.eval(s.contextObject())
	}
	return p.eval(data)
}
