package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestHistoryChunkTimes: an event made at the same time as the one before
// it in its chunk is written with "" for its time and read back with that
// time; an event at another time keeps its own; a chunk written before
// (every time given) reads as it did; a chunk whose first event has no
// time is refused.
func TestHistoryChunkTimes(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 123456789, time.UTC)
	later := now.Add(time.Millisecond)
	events := []*mesh.HistoryEvent{
		{ExecutionID: "x", ID: 1, Type: "ExecutionStarted", Timestamp: now, Details: json.RawMessage(`{"input":{}}`)},
		{ExecutionID: "x", ID: 2, PreviousID: 1, Type: "TaskStateEntered", Timestamp: now, Details: json.RawMessage(`{"name":"A"}`)},
		{ExecutionID: "x", ID: 3, PreviousID: 2, Type: "TaskSucceeded", Timestamp: later},
		{ExecutionID: "x", ID: 4, PreviousID: 3, Type: "TaskStateExited", Timestamp: later, Details: json.RawMessage(`{"name":"A"}`)},
	}
	chunks, err := store.HistoryChunks(events)
	if err != nil || len(chunks) != 1 {
		t.Fatalf("got %d chunks, %v; want 1", len(chunks), err)
	}
	const want = `[[1,0,"ExecutionStarted","2026-12-07T15:00:00.123456789Z",{"input":{}}],` +
		`[2,1,"TaskStateEntered","",{"name":"A"}],` +
		`[3,2,"TaskSucceeded","2026-12-07T15:00:00.124456789Z"],` +
		`[4,3,"TaskStateExited","",{"name":"A"}]]`
	if chunks[0].Events != want {
		t.Errorf("chunk:\n got %s\nwant %s", chunks[0].Events, want)
	}
	got, err := store.DecodeHistoryChunk("x", []byte(chunks[0].Events))
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events {
		if !got[i].Timestamp.Equal(ev.Timestamp) || got[i].Type != ev.Type || string(got[i].Details) != string(ev.Details) {
			t.Errorf("event %d: got %+v, want %+v", i+1, got[i], ev)
		}
	}

	earlier := strings.Replace(want, `"TaskStateEntered",""`, `"TaskStateEntered","2026-12-07T15:00:00.123456789Z"`, 1)
	earlier = strings.Replace(earlier, `"TaskStateExited",""`, `"TaskStateExited","2026-12-07T15:00:00.124456789Z"`, 1)
	if got, err := store.DecodeHistoryChunk("x", []byte(earlier)); err != nil || !got[1].Timestamp.Equal(now) || !got[3].Timestamp.Equal(later) {
		t.Errorf("a chunk of the earlier form: got %v, %v; want its times", got, err)
	}
	if _, err := store.DecodeHistoryChunk("x", []byte(`[[1,0,"ExecutionStarted",""]]`)); err == nil {
		t.Error("a chunk whose first event has no time was read")
	}
}
