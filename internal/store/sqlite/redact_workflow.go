package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/store"
)

// redactWorkflowURLs is migration 0028's step: the texts in which the
// workflow engine and the data-sharing workflow named a URL whole (a
// failed HTTP task's cause, a decision through a webhook's link) name it
// as new code does (store.RedactWorkflowURLs, whose comment says why an
// execution's history may be rewritten here).
func redactWorkflowURLs(ctx context.Context, tx *sql.Tx) error {
	return store.RedactWorkflowURLs(ctx, &workflowURLsTx{tx: tx})
}

// redactHTTPTaskParameters is migration 0029's step: the HTTP tasks'
// TaskScheduled events and the causes quoting a refused Url that older
// versions wrote with the Url and the headers whole read as new code
// writes them (store.RedactHTTPTaskParameters).
func redactHTTPTaskParameters(ctx context.Context, tx *sql.Tx) error {
	return store.RedactHTTPTaskParameters(ctx, &workflowURLsTx{tx: tx})
}

// workflowURLsTx reads and writes the rows store.RedactWorkflowURLs
// rewrites. It reads the executions and the requests to rewrite a batch
// at a time by their keys' index, from where the last batch ended: SQLite
// leaves undefined what a query reads of a table the same connection
// writes while the query runs.
type workflowURLsTx struct {
	tx            *sql.Tx
	lastExecution string
	lastRequest   int64
}

func (t *workflowURLsTx) HTTPFailedExecutions(ctx context.Context, limit int) ([]string, error) {
	return t.executions(ctx, `events LIKE '%"TaskFailed"%' AND events LIKE '%meshgate:http:invoke%' AND events LIKE '%://%'`, limit)
}

func (t *workflowURLsTx) HTTPScheduledExecutions(ctx context.Context, limit int) ([]string, error) {
	return t.executions(ctx, `events LIKE '%meshgate:http:invoke%'
		AND (events LIKE '%"TaskScheduled"%' OR events LIKE '%Url must be an absolute http or https URL, got %')`, limit)
}

// executions returns the next up to limit executions with a chunk of
// history that filter, SQL, matches.
func (t *workflowURLsTx) executions(ctx context.Context, filter string, limit int) ([]string, error) {
	// the chunks in the order of their key, whose index SQLite reads to
	// the limit: an execution's id once a chunk
	rows, err := t.tx.QueryContext(ctx, `SELECT execution_id FROM workflow_history_chunks
		WHERE execution_id > ? AND `+filter+`
		ORDER BY execution_id, last_id LIMIT ?`, t.lastExecution, limit)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, "executions", func(sc rowScanner) (id string, err error) {
		return id, sc.Scan(&id)
	})
	if len(ids) > 0 {
		t.lastExecution = ids[len(ids)-1]
	}
	return slices.Compact(ids), err
}

func (t *workflowURLsTx) LinkDecisions(ctx context.Context, limit int) ([]store.LinkDecision, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, execution_id, decided_by FROM access_requests
		WHERE id > ? AND decision_channel = 'webhook-link' AND decided_by LIKE '%://%'
		AND decided_by NOT LIKE 'webhook %' AND decided_by NOT LIKE '% via webhook %'
		ORDER BY id LIMIT ?`, t.lastRequest, limit)
	if err != nil {
		return nil, err
	}
	ds, err := collect(rows, "requests", func(sc rowScanner) (d store.LinkDecision, err error) {
		return d, sc.Scan(&d.RequestID, &d.ExecutionID, &d.DecidedBy)
	})
	if len(ds) > 0 {
		t.lastRequest = ds[len(ds)-1].RequestID
	}
	return ds, err
}

func (t *workflowURLsTx) HistoryChunks(ctx context.Context, ids []string, after store.HistoryChunk, limit int) ([]store.HistoryChunk, error) {
	args := make([]any, 0, len(ids)+3)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT execution_id, last_id, events FROM workflow_history_chunks
		WHERE execution_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) AND (execution_id, last_id) > (?, ?)
		ORDER BY execution_id, last_id LIMIT ?`, append(args, after.ExecutionID, after.LastID, limit)...)
	if err != nil {
		return nil, err
	}
	return collect(rows, "history chunks", func(sc rowScanner) (c store.HistoryChunk, err error) {
		return c, sc.Scan(&c.ExecutionID, &c.LastID, &c.Events)
	})
}

func (t *workflowURLsTx) UpdateHistoryChunk(ctx context.Context, c store.HistoryChunk) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE workflow_history_chunks SET events = ? WHERE execution_id = ? AND last_id = ?`,
		c.Events, c.ExecutionID, c.LastID)
	return err
}

func (t *workflowURLsTx) ExecutionTexts(ctx context.Context, executionID string) (store.ExecutionTexts, error) {
	x := store.ExecutionTexts{ExecutionID: executionID}
	err := t.tx.QueryRowContext(ctx, `SELECT coalesce(output, ''), cause, state FROM workflow_executions WHERE id = ?`,
		executionID).Scan(&x.Output, &x.Cause, &x.State)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return x, err
	}
	err = t.tx.QueryRowContext(ctx, `SELECT r.id, r.cause, r.decided_by, coalesce(a.decided_by, '')
		FROM access_requests r LEFT JOIN approvals a ON a.request_id = r.id WHERE r.execution_id = ?`,
		executionID).Scan(&x.RequestID, &x.RequestCause, &x.DecidedBy, &x.ApprovalBy)
	if errors.Is(err, sql.ErrNoRows) {
		return x, nil
	}
	if err != nil {
		return x, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT id, principal, detail FROM audit_log WHERE resource = ? ORDER BY id`,
		"request/"+strconv.FormatInt(x.RequestID, 10))
	if err != nil {
		return x, err
	}
	if x.Audit, err = collect(rows, "audit", func(sc rowScanner) (a store.AuditText, err error) {
		return a, sc.Scan(&a.ID, &a.Principal, &a.Detail)
	}); err != nil {
		return x, err
	}
	rows, err = t.tx.QueryContext(ctx, `SELECT id, body FROM notifications WHERE request_id = ? ORDER BY id`, x.RequestID)
	if err != nil {
		return x, err
	}
	x.Notifications, err = collect(rows, "notifications", func(sc rowScanner) (n store.NotificationText, err error) {
		return n, sc.Scan(&n.ID, &n.Body)
	})
	return x, err
}

func (t *workflowURLsTx) UpdateExecutionTexts(ctx context.Context, executionID, output, cause string, state []byte) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE workflow_executions SET output = nullif(?, ''), cause = ?, state = ? WHERE id = ?`,
		output, cause, state, executionID)
	return err
}

func (t *workflowURLsTx) UpdateRequestTexts(ctx context.Context, id int64, cause, decidedBy string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE access_requests SET cause = ?, decided_by = ? WHERE id = ?`, cause, decidedBy, id)
	return err
}

func (t *workflowURLsTx) UpdateApprovalTexts(ctx context.Context, requestID int64, decidedBy string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE approvals SET decided_by = ? WHERE request_id = ?`, decidedBy, requestID)
	return err
}

func (t *workflowURLsTx) UpdateAuditTexts(ctx context.Context, a store.AuditText) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE audit_log SET principal = ?, detail = ? WHERE id = ?`, a.Principal, a.Detail, a.ID)
	return err
}

func (t *workflowURLsTx) UpdateNotificationTexts(ctx context.Context, n store.NotificationText) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE notifications SET body = ? WHERE id = ?`, n.Body, n.ID)
	return err
}
