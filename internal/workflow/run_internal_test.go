package workflow

import (
	"maps"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestEventRepeats: an event leaves out a field holding the value a field
// of the event just before it holds, and names it in Repeats; an equal value
// that is another object, an event whose previous one is not the last
// recorded, and an event after the recorded ones were written keep theirs.
func TestEventRepeats(t *testing.T) {
	r := &run{rec: &store.ExecutionRecord{Execution: mesh.Execution{ID: "e"}}, now: time.Unix(0, 0)}
	var got []*mesh.HistoryEvent
	record := func(f *frame, typ string, details map[string]any) {
		r.event(f, typ, details)
		got = append(got, r.events[len(r.events)-1])
	}
	in := map[string]any{"n": int64(3)}
	f := &frame{State: "A"}
	record(nil, "ExecutionStarted", map[string]any{"input": in, "stateMachine": "m"})
	f.LastEvent = 1
	record(f, "PassStateEntered", map[string]any{"name": "A", "input": in})
	record(f, "PassStateExited", map[string]any{"name": "A", "output": in})
	record(f, "ChoiceStateEntered", map[string]any{"name": "B", "input": maps.Clone(in)})
	record(&frame{State: "C", LastEvent: 1}, "PassStateEntered", map[string]any{"name": "C", "input": in})
	r.events = nil // as save leaves them
	record(f, "ChoiceStateExited", map[string]any{"name": "B", "output": in})

	for i, want := range []struct {
		details string
		repeats map[string]string
	}{
		{`{"input":{"n":3},"stateMachine":"m"}`, nil},
		{`{"name":"A"}`, map[string]string{"input": "input"}},
		{`{"name":"A"}`, map[string]string{"output": "input"}},
		{`{"input":{"n":3},"name":"B"}`, nil},
		{`{"input":{"n":3},"name":"C"}`, nil},
		{`{"name":"B","output":{"n":3}}`, nil},
	} {
		if ev := got[i]; string(ev.Details) != want.details || !maps.Equal(ev.Repeats, want.repeats) {
			t.Errorf("event %d: got %s %v, want %s %v", ev.ID, ev.Details, ev.Repeats, want.details, want.repeats)
		}
	}
}
