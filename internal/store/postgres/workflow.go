package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// InsertStateMachine adds a state machine version. A conflict is detected
// without a failing statement, which would abort the transaction.
func (tx *Tx) InsertStateMachine(ctx context.Context, sm *mesh.StateMachine) error {
	tag, err := tx.tx.Exec(ctx, `INSERT INTO workflow_state_machines
		(name, version, description, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		sm.Name, sm.Version, sm.Description, string(sm.Definition), sm.CreatedAt.UTC(), sm.CreatedBy)
	if err != nil {
		return fmt.Errorf("insert state machine: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "state machine %q version %d exists already", sm.Name, sm.Version)
	}
	return nil
}

const smColumns = `name, version, description, definition, created_at, created_by, deleted`

func scanStateMachine(sc pgx.Row) (*mesh.StateMachine, error) {
	var sm mesh.StateMachine
	var def string
	if err := sc.Scan(&sm.Name, &sm.Version, &sm.Description, &def, &sm.CreatedAt, &sm.CreatedBy, &sm.Deleted); err != nil {
		return nil, err
	}
	sm.Definition = []byte(def)
	sm.CreatedAt = sm.CreatedAt.UTC()
	return &sm, nil
}

// FindStateMachine returns a version, or the latest when version is 0.
func (tx *Tx) FindStateMachine(ctx context.Context, name string, version int) (*mesh.StateMachine, error) {
	q := `SELECT ` + smColumns + ` FROM workflow_state_machines WHERE name = $1 `
	args := []any{name}
	if version > 0 {
		q += `AND version = $2`
		args = append(args, version)
	} else {
		q += `AND NOT deleted ORDER BY version DESC LIMIT 1`
	}
	sm, err := scanStateMachine(tx.tx.QueryRow(ctx, q, args...))
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
	rows, err := tx.tx.Query(ctx, `SELECT `+smColumns+` FROM (SELECT DISTINCT ON (name) * FROM workflow_state_machines
		ORDER BY name, version DESC) s WHERE NOT deleted ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find state machines: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.StateMachine, error) { return scanStateMachine(row) })
	if err != nil {
		return nil, fmt.Errorf("find state machines: %w", err)
	}
	return out, nil
}

// MaxStateMachineVersion returns the highest version a name ever had.
func (tx *Tx) MaxStateMachineVersion(ctx context.Context, name string) (int, error) {
	var v int
	if err := tx.tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM workflow_state_machines WHERE name = $1`, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("max state machine version: %w", err)
	}
	return v, nil
}

// DeleteStateMachine marks every version of a state machine deleted.
func (tx *Tx) DeleteStateMachine(ctx context.Context, name string) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE workflow_state_machines SET deleted = TRUE WHERE name = $1 AND NOT deleted`, name)
	if err != nil {
		return fmt.Errorf("delete state machine: %w", err)
	}
	return affectedOne(tag, "state machine", name)
}

// InsertExecutions adds executions in one statement; those whose name is
// taken are left out.
func (tx *Tx) InsertExecutions(ctx context.Context, es []*store.ExecutionRecord) (map[string]bool, error) {
	n := len(es)
	if n == 0 {
		return map[string]bool{}, nil
	}
	ids, names, sms, statuses, inputs, errs, causes, by := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	outputs := make([]*string, n)
	versions, events := make([]int32, n), make([]int32, n)
	started, deadlines := make([]time.Time, n), make([]time.Time, n)
	stopped, wakes := make([]*time.Time, n), make([]*time.Time, n)
	states := make([][]byte, n)
	for i, e := range es {
		ids[i], names[i], sms[i], statuses[i], inputs[i] = e.ID, e.Name, e.StateMachine, e.Status, string(e.Input)
		errs[i], causes[i], by[i], states[i] = e.Error, e.Cause, e.StartedBy, e.State
		versions[i], events[i] = int32(e.Version), int32(e.Events)
		started[i], deadlines[i] = e.StartedAt.UTC(), e.Deadline.UTC()
		if e.Output != nil {
			s := string(e.Output)
			outputs[i] = &s
		}
		stopped[i], wakes[i] = optTime(e.StoppedAt), optTime(e.WakeAt)
	}
	rows, err := tx.tx.Query(ctx, `INSERT INTO workflow_executions
		(id, name, state_machine, version, status, input, output, error, cause, started_at, stopped_at,
		 deadline, events, started_by, state, wake_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::int[], $14::text[], $15::bytea[], $16::timestamptz[])
		ON CONFLICT DO NOTHING RETURNING id`,
		ids, names, sms, versions, statuses, inputs, outputs, errs, causes, started, stopped, deadlines, events, by, states, wakes)
	if err != nil {
		return nil, fmt.Errorf("insert executions: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("insert executions: %w", err)
	}
	inserted := make(map[string]bool, len(got))
	for _, id := range got {
		inserted[id] = true
	}
	return inserted, nil
}

// optTime maps the zero time to NULL.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

const execColumns = `id, name, state_machine, version, status, input, output, error, cause, started_at,
	stopped_at, deadline, events, started_by`

func scanExecution(sc pgx.Row, rec *store.ExecutionRecord, extra ...any) error {
	e := &rec.Execution
	var input string
	var output *string
	var stopped *time.Time
	dest := append([]any{&e.ID, &e.Name, &e.StateMachine, &e.Version, &e.Status, &input, &output, &e.Error, &e.Cause,
		&e.StartedAt, &stopped, &e.Deadline, &e.Events, &e.StartedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	e.Input = []byte(input)
	if output != nil {
		e.Output = []byte(*output)
	}
	e.StartedAt, e.Deadline, e.StoppedAt = e.StartedAt.UTC(), e.Deadline.UTC(), timeOf(stopped)
	return nil
}

// recordColumns are the columns scanExecutionRecord reads.
const recordColumns = execColumns + `, state, wake_at`

// scanExecutionRecord reads an execution with the engine's state and wake time.
func scanExecutionRecord(row pgx.Row) (*store.ExecutionRecord, error) {
	var rec store.ExecutionRecord
	var wake *time.Time
	if err := scanExecution(row, &rec, &rec.State, &wake); err != nil {
		return nil, err
	}
	rec.WakeAt = timeOf(wake)
	return &rec, nil
}

func (tx *Tx) findExecution(ctx context.Context, where string, args ...any) (*store.ExecutionRecord, error) {
	return scanExecutionRecord(tx.tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM workflow_executions WHERE `+where, args...))
}

// FindExecution returns an execution by id.
func (tx *Tx) FindExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	rec, err := tx.findExecution(ctx, `id = $1`, id)
	if isNoRows(err) {
		return nil, mesh.NotFound("execution", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find execution: %w", err)
	}
	return rec, nil
}

// LockExecution returns an execution locked FOR UPDATE. Locking it again in
// the transaction reads nothing until the transaction writes to executions
// (ReadMemo), and then reads it without FOR UPDATE: the lock is held, and
// a plain read leaves the memo as it is.
func (tx *Tx) LockExecution(ctx context.Context, id string) (*store.ExecutionRecord, error) {
	if rec, ok := tx.Memo().LockedExecution(id); ok {
		return rec, nil // locked already: nobody else has changed it
	}
	where := `id = $1 FOR UPDATE`
	if tx.Memo().HoldsExecution(id) {
		where = `id = $1` // held already: nothing to wait for, nobody else changed it
	}
	rec, err := tx.findExecution(ctx, where, id)
	if isNoRows(err) {
		return nil, mesh.NotFound("execution", id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock execution: %w", err)
	}
	tx.Memo().PutLockedExecution(rec)
	return rec, nil
}

// FindExecutionByName returns an execution by state machine and name.
func (tx *Tx) FindExecutionByName(ctx context.Context, stateMachine, name string) (*store.ExecutionRecord, error) {
	rec, err := tx.findExecution(ctx, `state_machine = $1 AND name = $2`, stateMachine, name)
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.StateMachine != "" {
		where = append(where, "state_machine = "+arg(f.StateMachine))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if !f.BeforeTime.IsZero() {
		where = append(where, "(started_at, id) < ("+arg(f.BeforeTime.UTC())+", "+arg(f.BeforeID)+")")
	}
	q := `SELECT ` + execColumns + ` FROM workflow_executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY started_at DESC, id DESC LIMIT %d", store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find executions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Execution, error) {
		var rec store.ExecutionRecord
		err := scanExecution(row, &rec)
		return &rec.Execution, err
	})
	if err != nil {
		return nil, fmt.Errorf("find executions: %w", err)
	}
	return out, nil
}

// ClaimExecutions locks due executions, skipping those other replicas hold.
func (tx *Tx) ClaimExecutions(ctx context.Context, now time.Time, limit int) ([]*store.ExecutionRecord, error) {
	rows, err := tx.tx.Query(ctx, `SELECT `+recordColumns+` FROM workflow_executions
		WHERE wake_at <= $1 ORDER BY wake_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim executions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.ExecutionRecord, error) { return scanExecutionRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("claim executions: %w", err)
	}
	return out, nil
}

// NextWake returns the earliest wake time.
func (tx *Tx) NextWake(ctx context.Context) (time.Time, error) {
	var t *time.Time
	if err := tx.tx.QueryRow(ctx, `SELECT MIN(wake_at) FROM workflow_executions`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("next wake: %w", err)
	}
	return timeOf(t), nil
}

// UpdateExecutions saves executions' progress in one statement.
func (tx *Tx) UpdateExecutions(ctx context.Context, es []*store.ExecutionRecord) error {
	n := len(es)
	if n == 0 {
		return nil // a dispatcher's claim that found nothing: no round trip
	}
	ids, statuses, errs, causes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	outputs := make([]*string, n)
	stopped, wakes := make([]*time.Time, n), make([]*time.Time, n)
	events := make([]int32, n)
	states := make([][]byte, n)
	for i, e := range es {
		ids[i], statuses[i], errs[i], causes[i], states[i], events[i] = e.ID, e.Status, e.Error, e.Cause, e.State, int32(e.Events)
		if e.Output != nil {
			s := string(e.Output)
			outputs[i] = &s
		}
		stopped[i], wakes[i] = optTime(e.StoppedAt), optTime(e.WakeAt)
	}
	_, err := tx.tx.execExecutionsWrite(ctx, ids, `UPDATE workflow_executions AS x SET status = v.status, output = v.output, error = v.error,
		cause = v.cause, stopped_at = v.stopped_at, events = v.events, state = v.state, wake_at = v.wake_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int[], $8::bytea[], $9::timestamptz[])
			AS v(id, status, output, error, cause, stopped_at, events, state, wake_at)
		WHERE x.id = v.id`, ids, statuses, outputs, errs, causes, stopped, events, states, wakes)
	if err != nil {
		return fmt.Errorf("update executions: %w", err)
	}
	return nil
}

// CountExecutions counts a state machine's executions with a status.
func (tx *Tx) CountExecutions(ctx context.Context, stateMachine, status string) (int, error) {
	var n int
	err := tx.tx.QueryRow(ctx, `SELECT COUNT(*) FROM workflow_executions WHERE state_machine = $1 AND status = $2`,
		stateMachine, status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count executions: %w", err)
	}
	return n, nil
}

// InsertHistoryEvents appends events to their executions' histories: a
// chunk (store.HistoryChunks) for each execution among them, in one statement.
func (tx *Tx) InsertHistoryEvents(ctx context.Context, events []*mesh.HistoryEvent) error {
	chunks, err := store.HistoryChunks(events)
	if err != nil {
		return fmt.Errorf("insert history events: %w", err)
	}
	if len(chunks) == 0 {
		return nil
	}
	ids := make([]string, len(chunks))
	last := make([]int32, len(chunks))
	evs := make([]string, len(chunks))
	for i, c := range chunks {
		ids[i], last[i], evs[i] = c.ExecutionID, int32(c.LastID), c.Events
	}
	_, err = tx.tx.Exec(ctx, `INSERT INTO workflow_history_chunks (execution_id, last_id, events)
		SELECT * FROM unnest($1::text[], $2::int[], $3::text[])`, ids, last, evs)
	if err != nil {
		return fmt.Errorf("insert history events: %w", err)
	}
	return nil
}

// FindHistoryEvents returns an execution's events after afterID, at most
// limit (1,000 when limit is not positive).
func (tx *Tx) FindHistoryEvents(ctx context.Context, executionID string, afterID, limit int) ([]*mesh.HistoryEvent, error) {
	rows, err := tx.tx.Query(ctx, `SELECT events FROM workflow_history_chunks
		WHERE execution_id = $1 AND last_id > $2 ORDER BY last_id`, executionID, afterID)
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

// InsertTaskToken stores a token's hash.
func (tx *Tx) InsertTaskToken(ctx context.Context, t *store.TaskToken) error {
	_, err := tx.tx.Exec(ctx, `INSERT INTO workflow_task_tokens (hash, execution_id, attempt, state, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.Hash, t.ExecutionID, t.Attempt, t.State, t.Status, t.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("insert task token: %w", err)
	}
	return nil
}

// FindTaskToken returns a token by hash. It takes no lock: token statuses
// change only under their execution's lock, which callers take first.
func (tx *Tx) FindTaskToken(ctx context.Context, hash string) (*store.TaskToken, error) {
	var t store.TaskToken
	var used *time.Time
	err := tx.tx.QueryRow(ctx, `SELECT hash, execution_id, attempt, state, status, created_at, used_at
		FROM workflow_task_tokens WHERE hash = $1`, hash).Scan(&t.Hash, &t.ExecutionID, &t.Attempt, &t.State, &t.Status, &t.CreatedAt, &used)
	if isNoRows(err) {
		return nil, mesh.Errorf(mesh.ENOTFOUND, "unknown task token")
	}
	if err != nil {
		return nil, fmt.Errorf("find task token: %w", err)
	}
	t.CreatedAt, t.UsedAt = t.CreatedAt.UTC(), timeOf(used)
	return &t, nil
}

// UpdateTaskTokens sets the status of an execution's active tokens.
func (tx *Tx) UpdateTaskTokens(ctx context.Context, executionID string, attempt int64, status string, now time.Time) error {
	q := `UPDATE workflow_task_tokens SET status = $1, used_at = $2 WHERE execution_id = $3 AND status = 'active'`
	args := []any{status, now.UTC(), executionID}
	if attempt > 0 {
		q += ` AND attempt = $4`
		args = append(args, attempt)
	}
	if _, err := tx.tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("update task tokens: %w", err)
	}
	return nil
}

// InsertOutboxTask queues an external task, once per dedupe key.
func (tx *Tx) InsertOutboxTask(ctx context.Context, t *store.OutboxTask) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO workflow_outbox
		(execution_id, attempt, dedupe_key, resource, input, timeout_ms, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
		t.ExecutionID, t.Attempt, t.DedupeKey, t.Resource, string(t.Input), t.Timeout.Milliseconds(), t.Status, t.CreatedAt.UTC()).Scan(&t.ID)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("insert outbox task: %w", err)
	}
	return nil
}

// ClaimOutboxTasks leases pending tasks to owner, skipping rows other replicas are claiming.
func (tx *Tx) ClaimOutboxTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*store.OutboxTask, error) {
	rows, err := tx.tx.Query(ctx, `UPDATE workflow_outbox SET lease_owner = $1, lease_until = $2, tries = tries + 1
		WHERE id IN (SELECT id FROM workflow_outbox WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= $3)
		ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id, execution_id, attempt, dedupe_key, resource, input, timeout_ms, status, tries, created_at`,
		owner, leaseUntil.UTC(), now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox tasks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.OutboxTask, error) {
		t := store.OutboxTask{LeaseOwner: owner, LeaseUntil: leaseUntil}
		var input string
		var ms int64
		if err := row.Scan(&t.ID, &t.ExecutionID, &t.Attempt, &t.DedupeKey, &t.Resource, &input, &ms, &t.Status, &t.Tries, &t.CreatedAt); err != nil {
			return nil, err
		}
		t.Input, t.Timeout, t.CreatedAt = []byte(input), time.Duration(ms)*time.Millisecond, t.CreatedAt.UTC()
		return &t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox tasks: %w", err)
	}
	return out, nil
}

// FinishOutboxTask marks a leased task done or cancelled.
func (tx *Tx) FinishOutboxTask(ctx context.Context, id int64, owner, status string) error {
	// The input goes with the task: it may hold a task token, kept nowhere else in plain text.
	q := `UPDATE workflow_outbox SET status = $1, lease_until = NULL, input = '{}' WHERE id = $2 AND status = 'pending'`
	args := []any{status, id}
	if owner != "" {
		q += ` AND lease_owner = $3`
		args = append(args, owner)
	}
	tag, err := tx.tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("finish outbox task: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "outbox task %d is no longer leased by %s", id, owner)
	}
	return nil
}

// ReleaseOutboxLeases frees the leases of every pending task.
func (tx *Tx) ReleaseOutboxLeases(ctx context.Context) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE workflow_outbox SET lease_until = NULL, lease_owner = '' WHERE status = 'pending' AND lease_until IS NOT NULL`); err != nil {
		return fmt.Errorf("release outbox leases: %w", err)
	}
	return nil
}

// CancelOutboxTasks cancels an execution's pending tasks.
func (tx *Tx) CancelOutboxTasks(ctx context.Context, executionID string, attempt int64) error {
	q := `UPDATE workflow_outbox SET status = 'cancelled', input = '{}' WHERE execution_id = $1 AND status = 'pending'`
	args := []any{executionID}
	if attempt > 0 {
		q += ` AND attempt = $2`
		args = append(args, attempt)
	}
	if _, err := tx.tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("cancel outbox tasks: %w", err)
	}
	return nil
}

// AddWorkflowCounter adds delta to a counter and returns its new value; a
// counter outside CounterRange is left alone, and no row comes back.
func (tx *Tx) AddWorkflowCounter(ctx context.Context, name string, delta int64) (int64, error) {
	var v int64
	lo, hi := store.CounterRange(delta)
	err := tx.tx.QueryRow(ctx, `INSERT INTO workflow_counters (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = workflow_counters.value + excluded.value
		WHERE workflow_counters.value BETWEEN $3 AND $4 RETURNING value`, name, delta, lo, hi).Scan(&v)
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
	err := tx.tx.QueryRow(ctx, `SELECT value FROM workflow_counters WHERE name = $1`, name).Scan(&v)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find workflow counter: %w", err)
	}
	return v, nil
}

// Savepoint starts a savepoint. Its statement goes with the next one
// (pgTx.deferStatement).
func (tx *Tx) Savepoint(ctx context.Context, name string) error {
	tx.tx.deferStatement(`SAVEPOINT ` + name)
	tx.Mark(name)
	return nil
}

// RollbackToSavepoint undoes everything since the savepoint, with the
// AfterCommit functions registered since, and releases it. The rollback
// runs at once: after a failed statement the transaction takes nothing else
// until it, not even the preparing of the statements a pipeline would send
// with it; the release goes with the next statement.
func (tx *Tx) RollbackToSavepoint(ctx context.Context, name string) error {
	if _, err := tx.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+name); err != nil {
		return err
	}
	tx.Unmark(name, true)
	tx.tx.deferStatement(`RELEASE SAVEPOINT ` + name)
	return nil
}

// ReleaseSavepoint keeps what was done since the savepoint. Its statement
// goes with the next one.
func (tx *Tx) ReleaseSavepoint(ctx context.Context, name string) error {
	tx.tx.deferStatement(`RELEASE SAVEPOINT ` + name)
	tx.Unmark(name, false)
	return nil
}
