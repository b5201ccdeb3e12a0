package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// InsertStateMachine adds a state machine version.
func (tx *Tx) InsertStateMachine(ctx context.Context, sm *mesh.StateMachine) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO workflow_state_machines
		(name, version, description, definition, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		sm.Name, sm.Version, sm.Description, string(sm.Definition), formatTime(sm.CreatedAt), sm.CreatedBy)
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "state machine %q version %d exists already", sm.Name, sm.Version)
	}
	if err != nil {
		return fmt.Errorf("insert state machine: %w", err)
	}
	return nil
}

const smColumns = `name, version, description, definition, created_at, created_by, deleted`

func scanStateMachine(sc rowScanner) (*mesh.StateMachine, error) {
	var sm mesh.StateMachine
	var def, created string
	if err := sc.Scan(&sm.Name, &sm.Version, &sm.Description, &def, &created, &sm.CreatedBy, &sm.Deleted); err != nil {
		return nil, err
	}
	sm.Definition = []byte(def)
	var err error
	sm.CreatedAt, err = parseTime(created)
	return &sm, err
}

// FindStateMachine returns a version, or the latest when version is 0.
func (tx *Tx) FindStateMachine(ctx context.Context, name string, version int) (*mesh.StateMachine, error) {
	q := `SELECT ` + smColumns + ` FROM workflow_state_machines WHERE name = ? `
	args := []any{name}
	if version > 0 {
		q += `AND version = ?`
		args = append(args, version)
	} else {
		q += `AND NOT deleted ORDER BY version DESC LIMIT 1`
	}
	sm, err := scanStateMachine(tx.tx.QueryRowContext(ctx, q, args...))
	if isNoRows(err) {
		if version > 0 {
			return nil, mesh.NotFound("state machine version", fmt.Sprintf("%s:%d", name, version))
		}
		return nil, mesh.NotFound("state machine", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find state machine: %w", err)
	}
	return sm, nil
}

// FindStateMachines returns the latest version of every state machine.
func (tx *Tx) FindStateMachines(ctx context.Context) ([]*mesh.StateMachine, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+smColumns+` FROM workflow_state_machines s
		WHERE NOT deleted AND version = (SELECT MAX(version) FROM workflow_state_machines WHERE name = s.name) ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find state machines: %w", err)
	}
	return collect(rows, "find state machines", scanStateMachine)
}

// MaxStateMachineVersion returns the highest version a name ever had.
func (tx *Tx) MaxStateMachineVersion(ctx context.Context, name string) (int, error) {
	var v int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM workflow_state_machines WHERE name = ?`, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("max state machine version: %w", err)
	}
	return v, nil
}

// DeleteStateMachine marks every version of a state machine deleted.
func (tx *Tx) DeleteStateMachine(ctx context.Context, name string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE workflow_state_machines SET deleted = 1 WHERE name = ? AND NOT deleted`, name)
	if err != nil {
		return fmt.Errorf("delete state machine: %w", err)
	}
	return affectedOne(res, "state machine", name)
}

// batchSizes are the row counts of multi-row statements: a batch is split
// into statements of these sizes, largest first, so that only a few
// statement texts exist and each stays in the connection's statement cache.
var batchSizes = [...]int{64, 16, 4, 1}

// nextBatch returns how many of n rows the next statement takes.
func nextBatch(n int) int {
	for _, s := range batchSizes {
		if n >= s {
			return s
		}
	}
	return n
}

// InsertExecutions adds executions; those whose name is taken are left out.
func (tx *Tx) InsertExecutions(ctx context.Context, es []*store.ExecutionRecord) (map[string]bool, error) {
	inserted := make(map[string]bool, len(es))
	for len(es) > 0 {
		n := nextBatch(len(es))
		var b strings.Builder
		b.WriteString(`INSERT INTO workflow_executions (id, name, state_machine, version, status, input, output, error, cause,
			started_at, stopped_at, deadline, events, started_by, state, wake_at) VALUES `)
		args := make([]any, 0, n*16)
		for i, e := range es[:n] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, e.ID, e.Name, e.StateMachine, e.Version, e.Status, string(e.Input), nullText(e.Output), e.Error, e.Cause,
				formatTime(e.StartedAt), nullTime(e.StoppedAt), formatTime(e.Deadline), e.Events, e.StartedBy, e.State, nullTime(e.WakeAt))
		}
		b.WriteString(" ON CONFLICT DO NOTHING RETURNING id")
		rows, err := tx.tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("insert executions: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insert executions: %w", err)
			}
			inserted[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("insert executions: %w", err)
		}
		es = es[n:]
	}
	return inserted, nil
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

const execColumns = `id, name, state_machine, version, status, input, output, error, cause, started_at,
	stopped_at, deadline, events, started_by`

func scanExecution(sc rowScanner, rec *store.ExecutionRecord, extra ...any) error {
	e := &rec.Execution
	var input string
	var output, stopped sql.NullString
	var started, deadline string
	dest := append([]any{&e.ID, &e.Name, &e.StateMachine, &e.Version, &e.Status, &input, &output, &e.Error, &e.Cause,
		&started, &stopped, &deadline, &e.Events, &e.StartedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	e.Input = []byte(input)
	if output.Valid {
		e.Output = []byte(output.String)
	}
	var err error
	if e.StartedAt, err = parseTime(started); err != nil {
		return err
	}
	if e.Deadline, err = parseTime(deadline); err != nil {
		return err
	}
	e.StoppedAt, err = parseNullTime(stopped)
	return err
}

// recordColumns are the columns scanExecutionRecord reads.
const recordColumns = execColumns + `, state, wake_at`

// scanExecutionRecord reads an execution with the engine's state and wake time.
func scanExecutionRecord(sc rowScanner) (*store.ExecutionRecord, error) {
	var rec store.ExecutionRecord
	var wake sql.NullString
	if err := scanExecution(sc, &rec, &rec.State, &wake); err != nil {
		return nil, err
	}
	var err error
	rec.WakeAt, err = parseNullTime(wake)
	return &rec, err
}

func (tx *Tx) findExecution(ctx context.Context, where string, args ...any) (*store.ExecutionRecord, error) {
	return scanExecutionRecord(tx.tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM workflow_executions WHERE `+where, args...))
}

// FindExecution returns an execution by id.
func (tx *Tx) FindExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	rec, err := tx.findExecution(ctx, `id = ?`, id)
	if isNoRows(err) {
		return nil, mesh.NotFound("execution", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find execution: %w", err)
	}
	return rec, nil
}

// LockExecution returns an execution; SQLite's single writer already
// serializes. Locking it again in the transaction reads nothing until the
// transaction writes to executions (ReadMemo).
func (tx *Tx) LockExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	if rec, ok := tx.Memo().LockedExecution(id); ok {
		return rec, nil
	}
	rec, err := tx.FindExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	tx.Memo().PutLockedExecution(rec)
	return rec, nil
}

// FindExecutionByName returns an execution by state machine and name.
func (tx *Tx) FindExecutionByName(ctx context.Context, stateMachine, name string) (*store.ExecutionRecord, error) {
	rec, err := tx.findExecution(ctx, `state_machine = ? AND name = ?`, stateMachine, name)
	if isNoRows(err) {
		return nil, mesh.NotFound("execution", stateMachine+"/"+name)
	}
	if err != nil {
		return nil, fmt.Errorf("find execution: %w", err)
	}
	return rec, nil
}

// FindExecutions lists executions matching f, newest first.
func (tx *Tx) FindExecutions(ctx context.Context, f store.ExecutionFilter) ([]*mesh.Execution, error) {
	var where []string
	var args []any
	if f.StateMachine != "" {
		where, args = append(where, "state_machine = ?"), append(args, f.StateMachine)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.BeforeTime.IsZero() {
		where = append(where, "(started_at < ? OR (started_at = ? AND id < ?))")
		args = append(args, formatTime(f.BeforeTime), formatTime(f.BeforeTime), f.BeforeID)
	}
	q := `SELECT ` + execColumns + ` FROM workflow_executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY started_at DESC, id DESC LIMIT %d", store.ListLimit(f.Limit))
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find executions: %w", err)
	}
	return collect(rows, "find executions", func(r rowScanner) (*mesh.Execution, error) {
		var rec store.ExecutionRecord
		err := scanExecution(r, &rec)
		return &rec.Execution, err
	})
}

// ClaimExecutions returns executions due at now; the single writer is the lock.
func (tx *Tx) ClaimExecutions(ctx context.Context, now time.Time, limit int) ([]*store.ExecutionRecord, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM workflow_executions
		WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim executions: %w", err)
	}
	return collect(rows, "claim executions", scanExecutionRecord)
}

// NextWake returns the earliest wake time.
func (tx *Tx) NextWake(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	if err := tx.tx.QueryRowContext(ctx, `SELECT MIN(wake_at) FROM workflow_executions WHERE wake_at IS NOT NULL`).Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("next wake: %w", err)
	}
	return parseNullTime(s)
}

// UpdateExecutions saves executions' progress, many rows per statement.
func (tx *Tx) UpdateExecutions(ctx context.Context, es []*store.ExecutionRecord) error {
	for len(es) > 0 {
		n := nextBatch(len(es))
		var b strings.Builder
		b.WriteString(`WITH v(id, status, output, error, cause, stopped_at, events, state, wake_at) AS (VALUES `)
		args := make([]any, 0, n*9)
		ids := make([]string, n)
		for i, e := range es[:n] {
			ids[i] = e.ID
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, e.ID, e.Status, nullText(e.Output), e.Error, e.Cause, nullTime(e.StoppedAt), e.Events, e.State, nullTime(e.WakeAt))
		}
		b.WriteString(`) UPDATE workflow_executions AS x SET status = v.status, output = v.output, error = v.error, cause = v.cause,
			stopped_at = v.stopped_at, events = v.events, state = v.state, wake_at = v.wake_at FROM v WHERE x.id = v.id`)
		if _, err := tx.tx.execExecutionsWrite(ctx, ids, b.String(), args...); err != nil {
			return fmt.Errorf("update executions: %w", err)
		}
		es = es[n:]
	}
	return nil
}

// CountExecutions counts a state machine's executions with a status.
func (tx *Tx) CountExecutions(ctx context.Context, stateMachine, status string) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM workflow_executions WHERE state_machine = ? AND status = ?`,
		stateMachine, status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count executions: %w", err)
	}
	return n, nil
}

// InsertTaskToken stores a token's hash.
func (tx *Tx) InsertTaskToken(ctx context.Context, t *store.TaskToken) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO workflow_task_tokens (hash, execution_id, attempt, state, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, t.Hash, t.ExecutionID, t.Attempt, t.State, t.Status, formatTime(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert task token: %w", err)
	}
	return nil
}

// FindTaskToken returns a token by hash.
func (tx *Tx) FindTaskToken(ctx context.Context, hash string) (*store.TaskToken, error) {
	var t store.TaskToken
	var created string
	var used sql.NullString
	err := tx.tx.QueryRowContext(ctx, `SELECT hash, execution_id, attempt, state, status, created_at, used_at
		FROM workflow_task_tokens WHERE hash = ?`, hash).Scan(&t.Hash, &t.ExecutionID, &t.Attempt, &t.State, &t.Status, &created, &used)
	if isNoRows(err) {
		return nil, mesh.Errorf(mesh.ENOTFOUND, "unknown task token")
	}
	if err != nil {
		return nil, fmt.Errorf("find task token: %w", err)
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if t.UsedAt, err = parseNullTime(used); err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateTaskTokens sets the status of an execution's active tokens.
func (tx *Tx) UpdateTaskTokens(ctx context.Context, executionID string, attempt int64, status string, now time.Time) error {
	q := `UPDATE workflow_task_tokens SET status = ?, used_at = ? WHERE execution_id = ? AND status = 'active'`
	args := []any{status, formatTime(now), executionID}
	if attempt > 0 {
		q += ` AND attempt = ?`
		args = append(args, attempt)
	}
	if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update task tokens: %w", err)
	}
	return nil
}

// InsertOutboxTask queues an external task, once per dedupe key.
func (tx *Tx) InsertOutboxTask(ctx context.Context, t *store.OutboxTask) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO workflow_outbox
		(execution_id, attempt, dedupe_key, resource, input, timeout_ms, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
		t.ExecutionID, t.Attempt, t.DedupeKey, t.Resource, string(t.Input), t.Timeout.Milliseconds(), t.Status, formatTime(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert outbox task: %w", err)
	}
	t.ID, _ = res.LastInsertId()
	return nil
}

// ClaimOutboxTasks leases pending tasks to owner.
func (tx *Tx) ClaimOutboxTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*store.OutboxTask, error) {
	rows, err := tx.tx.QueryContext(ctx, `UPDATE workflow_outbox SET lease_owner = ?, lease_until = ?, tries = tries + 1
		WHERE id IN (SELECT id FROM workflow_outbox WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= ?)
		ORDER BY id LIMIT ?)
		RETURNING id, execution_id, attempt, dedupe_key, resource, input, timeout_ms, status, tries, created_at`,
		owner, formatTime(leaseUntil), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox tasks: %w", err)
	}
	return collect(rows, "claim outbox tasks", func(r rowScanner) (*store.OutboxTask, error) {
		t := store.OutboxTask{LeaseOwner: owner, LeaseUntil: leaseUntil}
		var input, created string
		var ms int64
		if err := r.Scan(&t.ID, &t.ExecutionID, &t.Attempt, &t.DedupeKey, &t.Resource, &input, &ms, &t.Status, &t.Tries, &created); err != nil {
			return nil, err
		}
		t.Input, t.Timeout = []byte(input), time.Duration(ms)*time.Millisecond
		var err error
		t.CreatedAt, err = parseTime(created)
		return &t, err
	})
}

// FinishOutboxTask marks a leased task done or cancelled.
func (tx *Tx) FinishOutboxTask(ctx context.Context, id int64, owner, status string) error {
	// The input goes with the task: it may hold a task token, kept nowhere else in plain text.
	q := `UPDATE workflow_outbox SET status = ?, lease_until = NULL, input = '{}' WHERE id = ? AND status = 'pending'`
	args := []any{status, id}
	if owner != "" {
		q += ` AND lease_owner = ?`
		args = append(args, owner)
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("finish outbox task: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "outbox task %d is no longer leased by %s", id, owner)
	}
	return nil
}

// ReleaseOutboxLeases frees the leases of every pending task.
func (tx *Tx) ReleaseOutboxLeases(ctx context.Context) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE workflow_outbox SET lease_until = NULL, lease_owner = '' WHERE status = 'pending' AND lease_until IS NOT NULL`); err != nil {
		return fmt.Errorf("release outbox leases: %w", err)
	}
	return nil
}

// CancelOutboxTasks cancels an execution's pending tasks.
func (tx *Tx) CancelOutboxTasks(ctx context.Context, executionID string, attempt int64) error {
	q := `UPDATE workflow_outbox SET status = 'cancelled', input = '{}' WHERE execution_id = ? AND status = 'pending'`
	args := []any{executionID}
	if attempt > 0 {
		q += ` AND attempt = ?`
		args = append(args, attempt)
	}
	if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("cancel outbox tasks: %w", err)
	}
	return nil
}

// AddWorkflowCounter adds delta to a counter and returns its new value; a
// counter outside CounterRange is left alone, and no row comes back.
func (tx *Tx) AddWorkflowCounter(ctx context.Context, name string, delta int64) (int64, error) {
	var v int64
	lo, hi := store.CounterRange(delta)
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO workflow_counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = value + excluded.value WHERE value BETWEEN ? AND ?
		RETURNING value`, name, delta, lo, hi).Scan(&v)
	if isNoRows(err) {
		return 0, store.ErrCounterRange(name, delta)
	}
	if err != nil {
		return 0, fmt.Errorf("add workflow counter: %w", err)
	}
	return v, nil
}

// FindWorkflowCounter returns a counter's value.
func (tx *Tx) FindWorkflowCounter(ctx context.Context, name string) (int64, error) {
	var v int64
	err := tx.tx.QueryRowContext(ctx, `SELECT value FROM workflow_counters WHERE name = ?`, name).Scan(&v)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find workflow counter: %w", err)
	}
	return v, nil
}

// Savepoint starts a savepoint.
func (tx *Tx) Savepoint(ctx context.Context, name string) error {
	if _, err := tx.tx.ExecContext(ctx, `SAVEPOINT `+name); err != nil {
		return err
	}
	tx.Mark(name)
	return nil
}

// RollbackToSavepoint undoes everything since the savepoint, with the
// AfterCommit functions registered since, and releases it.
func (tx *Tx) RollbackToSavepoint(ctx context.Context, name string) error {
	if _, err := tx.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT `+name); err != nil {
		return err
	}
	tx.Unmark(name, true)
	_, err := tx.tx.ExecContext(ctx, `RELEASE SAVEPOINT `+name)
	return err
}

// ReleaseSavepoint keeps what was done since the savepoint.
func (tx *Tx) ReleaseSavepoint(ctx context.Context, name string) error {
	if _, err := tx.tx.ExecContext(ctx, `RELEASE SAVEPOINT `+name); err != nil {
		return err
	}
	tx.Unmark(name, false)
	return nil
}
