package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg"

	"github.com/meshgate/meshgate/internal/mesh"
)

// An execution's history is stored a chunk at a time: the events one call
// of InsertHistoryEvents appends to one execution are one row of
// workflow_history_chunks, keyed by the execution and the last event's id,
// holding a JSON array of [id, previous_id, type, timestamp, details]
// arrays (details left out when an event has none). A request that runs to its end in one transaction writes one row
// instead of fourteen; the view workflow_history shows the events a row
// each, as before.

// InsertHistoryEvents appends events to their executions' histories: a
// chunk for each execution among them, its events in the order given.
// Details must be JSON (json.RawMessage), as the engine writes them.
func (tx *Tx) InsertHistoryEvents(ctx context.Context, events []*mesh.HistoryEvent) error {
	chunks := historyChunks(events)
	for len(chunks) > 0 {
		n := nextBatch(len(chunks))
		var b strings.Builder
		b.WriteString(`INSERT INTO workflow_history_chunks (execution_id, last_id, events) VALUES `)
		args := make([]any, 0, n*3)
		for i, c := range chunks[:n] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, c.executionID, c.lastID, c.events)
		}
		_, err := tx.tx.ExecContext(ctx, b.String(), args...)
		if isUniqueViolation(err) {
			return mesh.Errorf(mesh.ECONFLICT, "history of execution %s has event %d already", chunks[0].executionID, chunks[0].lastID)
		}
		if err != nil {
			return fmt.Errorf("insert history events: %w", err)
		}
		chunks = chunks[n:]
	}
	return nil
}

type historyChunk struct {
	executionID string
	lastID      int
	events      string
}

// historyChunks groups events by execution, in the order each execution
// first appears, and encodes each group.
func historyChunks(events []*mesh.HistoryEvent) []historyChunk {
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
		g.size += len(ev.Details) + len(ev.Type) + len(timeFormat) + 48
	}
	chunks := make([]historyChunk, len(order))
	for i, id := range order {
		g := groups[id]
		var b strings.Builder
		b.Grow(g.size + 2)
		buf := make([]byte, 0, 64)
		b.WriteByte('[')
		last := 0
		for j, ev := range g.events {
			if j > 0 {
				b.WriteByte(',')
			}
			buf = appendHistoryEvent(buf[:0], ev)
			if details := bytes.TrimSpace(ev.Details); len(details) > 0 {
				buf = append(buf, ',')
				b.Write(buf)
				b.Write(details)
				b.WriteByte(']')
			} else {
				buf = append(buf, ']')
				b.Write(buf)
			}
			last = max(last, ev.ID)
		}
		b.WriteByte(']')
		chunks[i] = historyChunk{executionID: id, lastID: last, events: b.String()}
	}
	return chunks
}

// appendHistoryEvent appends an event's fields but its details: an open
// JSON array of id, previous id, type and timestamp.
func appendHistoryEvent(b []byte, ev *mesh.HistoryEvent) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(ev.ID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(ev.PreviousID), 10)
	b = append(b, ',')
	b = ojg.AppendJSONString(b, ev.Type, false)
	b = append(b, ',', '"')
	b = ev.Timestamp.UTC().AppendFormat(b, timeFormat) // digits and -:.TZ, nothing to escape
	return append(b, '"')
}

// FindHistoryEvents returns an execution's events after afterID, at most
// limit (1,000 when limit is not positive).
func (tx *Tx) FindHistoryEvents(ctx context.Context, executionID string, afterID, limit int) ([]*mesh.HistoryEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT events FROM workflow_history_chunks
		WHERE execution_id = ? AND last_id > ? ORDER BY last_id`, executionID, afterID)
	if err != nil {
		return nil, fmt.Errorf("find history events: %w", err)
	}
	defer rows.Close()
	var out []*mesh.HistoryEvent
	for len(out) < limit && rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("find history events: %w", err)
		}
		evs, err := decodeHistoryChunk(executionID, raw)
		if err != nil {
			return nil, fmt.Errorf("find history events of execution %s: %w", executionID, err)
		}
		for _, ev := range evs {
			if ev.ID > afterID && len(out) < limit {
				out = append(out, ev)
			}
		}
	}
	return out, rows.Err()
}

func decodeHistoryChunk(executionID string, raw []byte) ([]*mesh.HistoryEvent, error) {
	var fields [][]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	evs := make([]*mesh.HistoryEvent, len(fields))
	for i, f := range fields {
		if len(f) != 4 && len(f) != 5 {
			return nil, fmt.Errorf("event %d: %d fields, want 4 or 5", i, len(f))
		}
		ev := &mesh.HistoryEvent{ExecutionID: executionID}
		var ts string
		for j, dst := range []any{&ev.ID, &ev.PreviousID, &ev.Type, &ts} {
			if err := json.Unmarshal(f[j], dst); err != nil {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
		}
		var err error
		if ev.Timestamp, err = parseTime(ts); err != nil {
			return nil, fmt.Errorf("event %d: %w", ev.ID, err)
		}
		if len(f) == 5 {
			ev.Details = f[4]
		}
		evs[i] = ev
	}
	return evs, nil
}
