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

// chunkRows serves chunks to ReadHistory as a query's rows would.
type chunkRows struct {
	chunks []string
	i      int
}

func (r *chunkRows) Next() bool { r.i++; return r.i <= len(r.chunks) }
func (r *chunkRows) Scan(dest ...any) error {
	*dest[0].(*[]byte) = []byte(r.chunks[r.i-1])
	return nil
}
func (r *chunkRows) Err() error { return nil }

// TestHistoryPageStartsInsideChunk: a page of history that begins at an
// event kept without its time (the events before it in its chunk are on
// the previous page) shows that event with its time.
func TestHistoryPageStartsInsideChunk(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	var events []*mesh.HistoryEvent
	for id := 1; id <= 4; id++ {
		events = append(events, &mesh.HistoryEvent{ExecutionID: "x", ID: id, PreviousID: id - 1, Type: "PassStateEntered", Timestamp: now})
	}
	chunks, err := store.HistoryChunks(events)
	if err != nil || len(chunks) != 1 || strings.Count(chunks[0].Events, `""`) != 3 {
		t.Fatalf("got %+v, %v; want one chunk, three events in it without their time", chunks, err)
	}
	page, err := store.ReadHistory(&chunkRows{chunks: []string{chunks[0].Events}}, "x", 2, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("events after 2: got %d, %v; want 2", len(page), err)
	}
	for _, ev := range page {
		if !ev.Timestamp.Equal(now) {
			t.Errorf("event %d on the second page: time %v, want %v", ev.ID, ev.Timestamp, now)
		}
	}
}
