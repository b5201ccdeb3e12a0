package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
)

// redactWorkflowURLs is migration 0030's step: the texts in which the
// workflow engine and the data-sharing workflow named a URL whole (a
// failed HTTP task's cause, a decision through a webhook's link) name it
// as new code does (store.RedactWorkflowURLs, whose comment says why an
// execution's history may be rewritten here), with the same Go as
// SQLite's step.
func redactWorkflowURLs(ctx context.Context, tx pgx.Tx) error {
	return store.RedactWorkflowURLs(ctx, &workflowURLsTx{tx: tx, declared: map[string]bool{}})
}

// redactHTTPTaskParameters is migration 0031's step: the HTTP tasks'
// TaskScheduled events and the causes quoting a refused Url that older
// versions wrote with the Url and the headers whole read as new code
// writes them (store.RedactHTTPTaskParameters), with the same Go as
// SQLite's step.
func redactHTTPTaskParameters(ctx context.Context, tx pgx.Tx) error {
	return store.RedactHTTPTaskParameters(ctx, &workflowURLsTx{tx: tx, declared: map[string]bool{}})
}

// workflowURLsTx reads and writes the rows store.RedactWorkflowURLs
// rewrites. It reads the executions and the requests to rewrite through
// cursors, a batch at a time, so that each table is scanned once however
// many batches it takes (a query a batch would scan it again: the planner
// expects few rows to match the filters and sorts a full scan).
type workflowURLsTx struct {
	tx       pgx.Tx
	declared map[string]bool // the cursors declared
}

// fetch returns the next up to limit rows of cursor name, which it
// declares for query at its first fetch.
func (t *workflowURLsTx) fetch(ctx context.Context, name, query string, limit int) (pgx.Rows, error) {
	if !t.declared[name] {
		if _, err := t.tx.Exec(ctx, `DECLARE `+name+` NO SCROLL CURSOR FOR `+query); err != nil {
			return nil, err
		}
		t.declared[name] = true
	}
	return t.tx.Query(ctx, fmt.Sprintf(`FETCH %d FROM %s`, limit, name))
}

func (t *workflowURLsTx) HTTPFailedExecutions(ctx context.Context, limit int) ([]string, error) {
	rows, err := t.fetch(ctx, "workflow_urls_http", `SELECT DISTINCT execution_id FROM workflow_history_chunks
		WHERE events LIKE '%"TaskFailed"%' AND events LIKE '%meshgate:http:invoke%' AND events LIKE '%://%'
		ORDER BY execution_id`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (t *workflowURLsTx) HTTPScheduledExecutions(ctx context.Context, limit int) ([]string, error) {
	rows, err := t.fetch(ctx, "workflow_http_scheduled", `SELECT DISTINCT execution_id FROM workflow_history_chunks
		WHERE events LIKE '%meshgate:http:invoke%'
		AND (events LIKE '%"TaskScheduled"%' OR events LIKE '%Url must be an absolute http or https URL, got %')
		ORDER BY execution_id`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (t *workflowURLsTx) LinkDecisions(ctx context.Context, limit int) ([]store.LinkDecision, error) {
	rows, err := t.fetch(ctx, "workflow_urls_decisions", `SELECT id, execution_id, decided_by FROM access_requests
		WHERE decision_channel = 'webhook-link' AND decided_by LIKE '%://%'
		AND decided_by NOT LIKE 'webhook %' AND decided_by NOT LIKE '% via webhook %'
		ORDER BY id`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (d store.LinkDecision, err error) {
		return d, row.Scan(&d.RequestID, &d.ExecutionID, &d.DecidedBy)
	})
}

func (t *workflowURLsTx) HistoryChunks(ctx context.Context, ids []string, after store.HistoryChunk, limit int) ([]store.HistoryChunk, error) {
	rows, err := t.tx.Query(ctx, `SELECT execution_id, last_id, events FROM workflow_history_chunks
		WHERE execution_id = ANY($1) AND (execution_id, last_id) > ($2, $3)
		ORDER BY execution_id, last_id LIMIT $4`, ids, after.ExecutionID, after.LastID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (c store.HistoryChunk, err error) {
		return c, row.Scan(&c.ExecutionID, &c.LastID, &c.Events)
	})
}

func (t *workflowURLsTx) UpdateHistoryChunk(ctx context.Context, c store.HistoryChunk) error {
	_, err := t.tx.Exec(ctx, `UPDATE workflow_history_chunks SET events = $1 WHERE execution_id = $2 AND last_id = $3`,
		c.Events, c.ExecutionID, c.LastID)
	return err
}

func (t *workflowURLsTx) ExecutionTexts(ctx context.Context, executionID string) (store.ExecutionTexts, error) {
	x := store.ExecutionTexts{ExecutionID: executionID}
	err := t.tx.QueryRow(ctx, `SELECT coalesce(output, ''), cause, state FROM workflow_executions WHERE id = $1`,
		executionID).Scan(&x.Output, &x.Cause, &x.State)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return x, err
	}
	err = t.tx.QueryRow(ctx, `SELECT r.id, r.cause, r.decided_by, coalesce(a.decided_by, '')
		FROM access_requests r LEFT JOIN approvals a ON a.request_id = r.id WHERE r.execution_id = $1`,
		executionID).Scan(&x.RequestID, &x.RequestCause, &x.DecidedBy, &x.ApprovalBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, nil
	}
	if err != nil {
		return x, err
	}
	rows, err := t.tx.Query(ctx, `SELECT id, principal, detail FROM audit_log WHERE resource = $1 ORDER BY id`,
		"request/"+strconv.FormatInt(x.RequestID, 10))
	if err != nil {
		return x, err
	}
	if x.Audit, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (a store.AuditText, err error) {
		return a, row.Scan(&a.ID, &a.Principal, &a.Detail)
	}); err != nil {
		return x, err
	}
	rows, err = t.tx.Query(ctx, `SELECT id, body FROM notifications WHERE request_id = $1 ORDER BY id`, x.RequestID)
	if err != nil {
		return x, err
	}
	x.Notifications, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (n store.NotificationText, err error) {
		return n, row.Scan(&n.ID, &n.Body)
	})
	return x, err
}

func (t *workflowURLsTx) UpdateExecutionTexts(ctx context.Context, executionID, output, cause string, state []byte) error {
	_, err := t.tx.Exec(ctx, `UPDATE workflow_executions SET output = nullif($1, ''), cause = $2, state = $3 WHERE id = $4`,
		output, cause, state, executionID)
	return err
}

func (t *workflowURLsTx) UpdateRequestTexts(ctx context.Context, id int64, cause, decidedBy string) error {
	_, err := t.tx.Exec(ctx, `UPDATE access_requests SET cause = $1, decided_by = $2 WHERE id = $3`, cause, decidedBy, id)
	return err
}

func (t *workflowURLsTx) UpdateApprovalTexts(ctx context.Context, requestID int64, decidedBy string) error {
	_, err := t.tx.Exec(ctx, `UPDATE approvals SET decided_by = $1 WHERE request_id = $2`, decidedBy, requestID)
	return err
}

func (t *workflowURLsTx) UpdateAuditTexts(ctx context.Context, a store.AuditText) error {
	_, err := t.tx.Exec(ctx, `UPDATE audit_log SET principal = $1, detail = $2 WHERE id = $3`, a.Principal, a.Detail, a.ID)
	return err
}

func (t *workflowURLsTx) UpdateNotificationTexts(ctx context.Context, n store.NotificationText) error {
	_, err := t.tx.Exec(ctx, `UPDATE notifications SET body = $1 WHERE id = $2`, n.Body, n.ID)
	return err
}
