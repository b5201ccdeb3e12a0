package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ohler55/ojg"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Both stores keep an execution's history a chunk at a time: the events one
// call of InsertHistoryEvents appends to one execution are one row, keyed by
// the execution and the last event's id, holding a JSON array of
// [id, previous_id, type, timestamp, details] arrays (details left out when
// an event has none). A request that runs to its end in one transaction
// writes one row instead of fourteen. An event that repeats fields of the
// previous one (mesh.HistoryEvent.Repeats) has a sixth element, the object
// of those fields, {"input": "output"}, and details without them (null
// when none is left); the previous event is the one just before it in the
// chunk, and DecodeHistoryChunk fills the fields in. An event made at the
// same time as the one before it in the chunk, as the events of one
// transaction are, has "" for its timestamp: a chunk of a request's start
// is then small enough that two share a page of SQLite's table.

// HistoryTimeFormat is the form of a chunk's timestamps: UTC, nanoseconds.
const HistoryTimeFormat = "2006-01-02T15:04:05.000000000Z"

// HistoryChunk is the row of one execution's events from one call.
type HistoryChunk struct {
	ExecutionID string
	LastID      int
	Events      string // JSON
}

// HistoryChunks groups events by execution, in the order each execution
// first appears, and encodes each group. Details must be JSON
// (json.RawMessage), as the engine writes them. An event that repeats
// fields of its previous event must come just after it, as the engine
// records them: the chunk is all that DecodeHistoryChunk reads.
func HistoryChunks(events []*mesh.HistoryEvent) ([]HistoryChunk, error) {
	type group struct {
		events []*mesh.HistoryEvent
		size   int
	}
	var order []string
	groups := make(map[string]*group, 16)
	for _, ev := range events {
		g := groups[ev.ExecutionID]
		if g == nil {
			g = &group{}
			groups[ev.ExecutionID] = g
			order = append(order, ev.ExecutionID)
		}
		g.events = append(g.events, ev)
		g.size += len(ev.Details) + len(ev.Type) + len(HistoryTimeFormat) + 48
	}
	chunks := make([]HistoryChunk, len(order))
	buf := make([]byte, 0, 96)
	for i, id := range order {
		g := groups[id]
		var b strings.Builder
		b.Grow(g.size + 2)
		b.WriteByte('[')
		last := 0
		for j, ev := range g.events {
			if j > 0 {
				b.WriteByte(',')
			}
			buf = appendHistoryEvent(buf[:0], ev, j > 0 && ev.Timestamp.Equal(g.events[j-1].Timestamp))
			details := bytes.TrimSpace(ev.Details)
			if len(ev.Repeats) > 0 {
				if j == 0 || g.events[j-1].ID != ev.PreviousID {
					return nil, fmt.Errorf("history of execution %s: event %d repeats event %d, which is not written just before it",
						id, ev.ID, ev.PreviousID)
				}
				if len(details) == 0 {
					details = []byte("null")
				}
			}
			if len(details) > 0 {
				buf = append(buf, ',')
				b.Write(buf)
				b.Write(details)
				buf = buf[:0]
			}
			if len(ev.Repeats) > 0 {
				buf = append(buf, ',', '{')
				for k, field := range sortedKeys(ev.Repeats) {
					if k > 0 {
						buf = append(buf, ',')
					}
					buf = ojg.AppendJSONString(buf, field, false)
					buf = append(buf, ':')
					buf = ojg.AppendJSONString(buf, ev.Repeats[field], false)
				}
				buf = append(buf, '}')
			}
			b.Write(append(buf, ']'))
			last = max(last, ev.ID)
		}
		b.WriteByte(']')
		chunks[i] = HistoryChunk{ExecutionID: id, LastID: last, Events: b.String()}
	}
	return chunks, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// appendHistoryEvent appends an event's fields but its details: an open
// JSON array of id, previous id, type and timestamp ("" when sameTime, the
// previous event's).
func appendHistoryEvent(b []byte, ev *mesh.HistoryEvent, sameTime bool) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(ev.ID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(ev.PreviousID), 10)
	b = append(b, ',')
	b = ojg.AppendJSONString(b, ev.Type, false)
	b = append(b, ',', '"')
	if !sameTime {
		b = ev.Timestamp.UTC().AppendFormat(b, HistoryTimeFormat) // digits and -:.TZ, nothing to escape
	}
	return append(b, '"')
}

// DecodeHistoryChunk returns the events of an execution's chunk.
func DecodeHistoryChunk(executionID string, raw []byte) ([]*mesh.HistoryEvent, error) {
	var fields [][]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	evs := make([]*mesh.HistoryEvent, len(fields))
	for i, f := range fields {
		if len(f) < 4 || len(f) > 6 {
			return nil, fmt.Errorf("event %d: %d fields, want 4 to 6", i, len(f))
		}
		ev := &mesh.HistoryEvent{ExecutionID: executionID}
		var ts string
		for j, dst := range []any{&ev.ID, &ev.PreviousID, &ev.Type, &ts} {
			if err := json.Unmarshal(f[j], dst); err != nil {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
		}
		var err error
		switch {
		case ts != "":
			if ev.Timestamp, err = time.Parse(time.RFC3339Nano, ts); err != nil {
				return nil, fmt.Errorf("event %d: %w", ev.ID, err)
			}
		case i == 0:
			return nil, fmt.Errorf("event %d: no timestamp, and no event before it in the chunk", ev.ID)
		default:
			ev.Timestamp = evs[i-1].Timestamp
		}
		if len(f) >= 5 {
			ev.Details = f[4]
		}
		if len(f) == 6 {
			if i == 0 || evs[i-1].ID != ev.PreviousID {
				return nil, fmt.Errorf("event %d repeats event %d, which is not just before it", ev.ID, ev.PreviousID)
			}
			if ev.Details, err = fillRepeated(evs[i-1], ev, f[5]); err != nil {
				return nil, fmt.Errorf("event %d: %w", ev.ID, err)
			}
		}
		evs[i] = ev
	}
	return evs, nil
}

// fillRepeated returns ev's details with the fields it repeats of
// prevEvent, the event just before it, filled in; repeats is the chunk's object of those
// fields.
func fillRepeated(prevEvent, ev *mesh.HistoryEvent, repeats json.RawMessage) (json.RawMessage, error) {
	var from map[string]string
	if err := json.Unmarshal(repeats, &from); err != nil {
		return nil, fmt.Errorf("repeated fields: %w", err)
	}
	var prev, details map[string]json.RawMessage
	if err := json.Unmarshal(prevEvent.Details, &prev); err != nil {
		return nil, fmt.Errorf("details of event %d: %w", ev.PreviousID, err)
	}
	if err := json.Unmarshal(ev.Details, &details); err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	if details == nil {
		details = make(map[string]json.RawMessage, len(from))
	}
	for field, pfield := range from {
		v, ok := prev[pfield]
		if !ok {
			return nil, fmt.Errorf("repeats the %s of event %d, which has none", pfield, ev.PreviousID)
		}
		details[field] = v
	}
	// keys in order, values as written: the details the event had
	return appendObject(nil, details), nil
}

// appendObject appends the JSON object of fields, its keys in order (as
// the engine writes a map), its values as written.
func appendObject(b []byte, fields map[string]json.RawMessage) []byte {
	b = append(b, '{')
	for k, key := range sortedKeys(fields) {
		if k > 0 {
			b = append(b, ',')
		}
		b = ojg.AppendJSONString(b, key, false)
		b = append(b, ':')
		b = append(b, fields[key]...)
	}
	return append(b, '}')
}

// HistoryRows are the rows of a query of an execution's chunks, in order
// (*sql.Rows and pgx.Rows both are).
type HistoryRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadHistory returns the events after afterID of the chunks rows holds,
// at most limit (1,000 when limit is not positive); it reads no chunk
// beyond the limit.
func ReadHistory(rows HistoryRows, executionID string, afterID, limit int) ([]*mesh.HistoryEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []*mesh.HistoryEvent
	for len(out) < limit && rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		evs, err := DecodeHistoryChunk(executionID, raw)
		if err != nil {
			return nil, fmt.Errorf("history of execution %s: %w", executionID, err)
		}
		for _, ev := range evs {
			if ev.ID > afterID && len(out) < limit {
				out = append(out, ev)
			}
		}
	}
	return out, rows.Err()
}
