package workflow

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	mathrand "math/rand/v2"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// Value is a JSON value tree that (de)serializes with the interpreter's
// number rules (integers stay int64).
type Value struct{ V any }

// MarshalJSON renders the value.
func (v Value) MarshalJSON() ([]byte, error) { return asl.MarshalJSON(v.V) }

// UnmarshalJSON parses the value.
func (v *Value) UnmarshalJSON(b []byte) error {
	x, err := asl.ParseJSON(b)
	if err != nil {
		return err
	}
	v.V = x
	return nil
}

// Frame phases.
const (
	phaseEnter    = "enter"    // the state is to be entered
	phaseTask     = "task"     // a task runs; waiting for its result, a token or a timeout
	phaseWait     = "wait"     // a Wait state waits until Due
	phaseRetry    = "retry"    // a retry is due at Due
	phaseChildren = "children" // a Parallel or Map state runs its branches or items
)

// locStep finds a nested machine: the Parallel state's branch, or the Map
// state's processor when Branch is -1.
type locStep struct {
	State  string `json:"s"`
	Branch int    `json:"b"`
}

// frame is one running machine: the top-level one, a branch or a Map item.
type frame struct {
	Loc   []locStep `json:"loc,omitempty"`
	Index int       `json:"i,omitempty"`
	State string    `json:"state"`
	Input Value     `json:"input"`
	Phase string    `json:"phase"`

	Entered    time.Time `json:"entered,omitzero"`
	Attempts   []int     `json:"attempts,omitempty"`
	RetryCount int       `json:"retries,omitempty"`
	// Due is when a Wait ends, a retry starts or a task times out.
	Due time.Time `json:"due,omitzero"`
	// Task attempt: its number (unique in the execution), heartbeat and callback.
	TaskSeq      int64     `json:"seq,omitempty"`
	Resource     string    `json:"resource,omitempty"`
	Heartbeat    int64     `json:"hb,omitempty"`
	HeartbeatDue time.Time `json:"hb_due,omitzero"`
	// Callback is set while the attempt's task token is active, External
	// while its outbox entry is pending: what ending the attempt withdraws.
	Callback bool `json:"callback,omitempty"`
	External bool `json:"external,omitempty"`
	// A Wait state's continuation.
	Next   string `json:"next,omitempty"`
	End    bool   `json:"end,omitempty"`
	Output *Value `json:"output,omitempty"`
	// A Parallel or Map state's running children, results and items left.
	Children []*frame `json:"children,omitempty"`
	Results  []Value  `json:"results,omitempty"`
	Items    []Value  `json:"items,omitempty"`
	NextItem int      `json:"next_item,omitempty"`
	MaxConc  int      `json:"max_conc,omitempty"`
	IsMap    bool     `json:"map,omitempty"`
	// LastEvent is the id of this frame's last history event.
	LastEvent int `json:"last,omitempty"`

	parent  *frame
	machine *asl.Machine
}

// runState is what an execution's State column holds.
type runState struct {
	Seq  int64  `json:"seq"`
	Root *frame `json:"root,omitempty"`
}

// run is an execution loaded for one transaction.
type run struct {
	rec    *store.ExecutionRecord
	st     runState
	top    *asl.Machine
	input  any
	now    time.Time
	events []*mesh.HistoryEvent
	// last is the details of the last event recorded, whose values the
	// next event may repeat (event).
	last map[string]any
	// steps counts states entered in this transaction.
	steps int
	rnd   *mathrand.Rand
	// historyFull is set when an event was dropped at the history limit.
	historyFull bool
	// tooLarge is set when an event's payload passed the payload limit.
	tooLarge bool
}

func (r *run) decode() error {
	if err := json.Unmarshal(r.rec.State, &r.st); err != nil {
		return fmt.Errorf("decode execution %s state: %w", r.rec.ID, err)
	}
	var err error
	if r.input, err = asl.ParseJSON(r.rec.Input); err != nil {
		return fmt.Errorf("decode execution %s input: %w", r.rec.ID, err)
	}
	if r.st.Root != nil {
		if err := r.link(r.st.Root, nil); err != nil {
			return err
		}
	}
	return nil
}

// link restores parent pointers and resolves each frame's machine.
func (r *run) link(f *frame, parent *frame) error {
	f.parent = parent
	m := r.top
	for _, l := range f.Loc {
		st, ok := m.States[l.State]
		if !ok {
			return fmt.Errorf("execution %s: unknown state %q in frame location", r.rec.ID, l.State)
		}
		if l.Branch >= 0 {
			if l.Branch >= len(st.Branches) {
				return fmt.Errorf("execution %s: no branch %d in %q", r.rec.ID, l.Branch, l.State)
			}
			m = st.Branches[l.Branch]
		} else {
			m = st.Processor
		}
	}
	f.machine = m
	for _, c := range f.Children {
		if err := r.link(c, f); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) encode() error {
	if r.rec.Terminal() {
		r.rec.State = []byte("{}")
		r.rec.WakeAt = time.Time{}
		return nil
	}
	b, err := json.Marshal(&r.st)
	if err != nil {
		return fmt.Errorf("encode execution %s state: %w", r.rec.ID, err)
	}
	r.rec.State = b
	r.rec.WakeAt = r.wake()
	return nil
}

// wake is when the engine must next look at the execution.
func (r *run) wake() time.Time {
	w := r.rec.Deadline
	var visit func(f *frame)
	visit = func(f *frame) {
		early := func(t time.Time) {
			if !t.IsZero() && t.Before(w) {
				w = t
			}
		}
		switch f.Phase {
		case phaseEnter:
			early(r.now)
		case phaseWait, phaseRetry:
			early(f.Due)
		case phaseTask:
			early(f.Due)
			early(f.HeartbeatDue)
		case phaseChildren:
			for _, c := range f.Children {
				visit(c)
			}
		}
	}
	if r.st.Root != nil {
		visit(r.st.Root)
	}
	return w
}

// findTask returns the frame running task attempt seq, or nil.
func (r *run) findTask(seq int64) *frame {
	var find func(f *frame) *frame
	find = func(f *frame) *frame {
		if f.Phase == phaseTask && f.TaskSeq == seq {
			return f
		}
		for _, c := range f.Children {
			if x := find(c); x != nil {
				return x
			}
		}
		return nil
	}
	if r.st.Root == nil {
		return nil
	}
	return find(r.st.Root)
}

// event appends a history event for frame f (nil for the execution itself).
func (r *run) event(f *frame, typ string, details map[string]any) {
	if r.rec.Events >= MaxHistoryEvents-1 && f != nil {
		// keep the last slot for the execution's end; advance ends it
		r.historyFull = true
		return
	}
	r.rec.Events++
	ev := &mesh.HistoryEvent{ExecutionID: r.rec.ID, ID: r.rec.Events, Type: typ, Timestamp: r.now}
	if f != nil {
		ev.PreviousID = f.LastEvent
		if ev.PreviousID == 0 && f.parent != nil {
			ev.PreviousID = f.parent.LastEvent
		}
		f.LastEvent = ev.ID
	} else {
		ev.PreviousID = ev.ID - 1
	}
	if details != nil {
		written := details
		if n := len(r.events); n > 0 && r.events[n-1].ID == ev.PreviousID {
			written, ev.Repeats = repeated(details, r.last)
		}
		b, err := asl.MarshalJSON(written)
		if err != nil {
			b, _ = asl.MarshalJSON(map[string]any{"error": err.Error()})
			ev.Repeats = nil
		}
		ev.Details = b
		if len(b) > MaxPayloadSize+1024 {
			r.tooLarge = true
		}
	}
	r.events = append(r.events, ev)
	r.last = details
}

// repeatable are the fields of an event's details that may repeat the
// previous event's: a state's input is often the output the state before
// exited with, or the execution's input, and a Choice state's output its
// input.
var repeatable = [...]string{"input", "output"}

// repeated returns details without the fields that hold the same value as
// a field of prev, the previous event's details, and the names of those
// fields (mesh.HistoryEvent.Repeats); the map passed in is left as it is.
func repeated(details, prev map[string]any) (map[string]any, map[string]string) {
	var repeats map[string]string
	for _, k := range repeatable {
		v, ok := details[k]
		if !ok {
			continue
		}
		for _, pk := range repeatable {
			if pv, ok := prev[pk]; ok && sameValue(v, pv) {
				if repeats == nil {
					details, repeats = maps.Clone(details), make(map[string]string, 1)
				}
				delete(details, k)
				repeats[k] = pk
				break
			}
		}
	}
	return details, repeats
}

// sameValue reports whether a and b are the same JSON object or array, not
// only equal ones: the interpreter copies a value to change it (setPath), so
// the same object holds the same JSON. Others are not worth the reference.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && len(x) > 0 && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) > 0 && len(x) == len(y) && &x[0] == &y[0]
	}
	return false
}

// context builds the interpreter's context for frame f.
func (r *run) context(f *frame) *asl.Context {
	return &asl.Context{
		Execution: asl.ExecutionInfo{ID: r.rec.ID, Name: r.rec.Name, StartTime: r.rec.StartedAt, Input: r.input},
		State:     asl.StateInfo{Name: f.State, EnteredTime: f.Entered, RetryCount: f.RetryCount},
		StateMachine: asl.StateMachineInfo{
			ID: fmt.Sprintf("%s:%d", r.rec.StateMachine, r.rec.Version), Name: r.rec.StateMachine},
		Now:      r.now,
		Attempts: f.Attempts,
		Rand:     r.random(),
	}
}

// randomSeed seeds every run's source of randomness, each run taking its
// own stream, without a system call per run.
var randomSeed, randomStream = func() (uint64, *atomic.Uint64) {
	var b [16]byte
	cryptorand.Read(b[:])
	s := &atomic.Uint64{}
	s.Store(binary.LittleEndian.Uint64(b[8:]))
	return binary.LittleEndian.Uint64(b[:8]), s
}()

// random returns the run's source of randomness (retry jitter, States.UUID,
// States.MathRandom).
func (r *run) random() *mathrand.Rand {
	if r.rnd == nil {
		r.rnd = mathrand.New(mathrand.NewPCG(randomSeed, randomStream.Add(1)))
	}
	return r.rnd
}
