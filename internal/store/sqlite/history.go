package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// InsertHistoryEvents appends events to their executions' histories: a
// chunk (store.HistoryChunks) for each execution among them.
func (tx *Tx) InsertHistoryEvents(ctx context.Context, events []*mesh.HistoryEvent) error {
	chunks, err := store.HistoryChunks(events)
	if err != nil {
		return fmt.Errorf("insert history events: %w", err)
	}
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
			args = append(args, c.ExecutionID, c.LastID, c.Events)
		}
		if _, err := tx.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert history events: %w", err)
		}
		chunks = chunks[n:]
	}
	return nil
}

// FindHistoryEvents returns an execution's events after afterID, at most
// limit (1,000 when limit is not positive).
func (tx *Tx) FindHistoryEvents(ctx context.Context, executionID string, afterID, limit int) ([]*mesh.HistoryEvent, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT events FROM workflow_history_chunks
		WHERE execution_id = ? AND last_id > ? ORDER BY last_id`, executionID, afterID)
	if err != nil {
		return nil, fmt.Errorf("find history events: %w", err)
	}
	defer rows.Close()
	evs, err := store.ReadHistory(rows, executionID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("find history events: %w", err)
	}
	return evs, nil
}
