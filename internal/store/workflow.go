package store

import (
	"context"
	"math"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// ExecutionRecord is an execution as the engine keeps it: the public part
// plus the interpreter's position (State, an opaque JSON document) and when
// the engine must next look at it.
type ExecutionRecord struct {
	mesh.Execution
	// State is the engine's serialized position in the run.
	State []byte
	// WakeAt is when the execution next needs the engine (a timer, or now for
	// ready work); zero when it only waits for a callback or has ended.
	WakeAt time.Time
}

// ExecutionFilter selects executions, newest first. Zero fields match everything.
type ExecutionFilter struct {
	StateMachine string
	Status       string
	// Before continues a listing: only executions started before this one
	// (by start time, then id).
	BeforeTime time.Time
	BeforeID   string
	Limit      int
}

// TaskToken is a callback token of a task attempt. Only its SHA-256 hash is stored.
type TaskToken struct {
	Hash        string
	ExecutionID string
	// Attempt is the task attempt the token is bound to.
	Attempt   int64
	State     string
	Status    string // "active", "used", "expired"
	CreatedAt time.Time
	UsedAt    time.Time
}

// Task token statuses.
const (
	TokenActive  = "active"
	TokenUsed    = "used"
	TokenExpired = "expired"
)

// OutboxTask is an external task invocation waiting to leave, or leaving,
// through the transactional outbox.
type OutboxTask struct {
	ID          int64
	ExecutionID string
	Attempt     int64
	// DedupeKey is unique: execution, state and attempt.
	DedupeKey  string
	Resource   string
	Input      []byte
	Timeout    time.Duration
	Status     string // "pending", "done", "cancelled"
	LeaseOwner string
	LeaseUntil time.Time
	Tries      int
	CreatedAt  time.Time
}

// Outbox statuses.
const (
	OutboxPending   = "pending"
	OutboxDone      = "done"
	OutboxCancelled = "cancelled"
)

// WorkflowTx is the workflow part of a transaction.
type WorkflowTx interface {
	// InsertStateMachine adds a version; ECONFLICT when it exists.
	InsertStateMachine(ctx context.Context, sm *mesh.StateMachine) error
	// FindStateMachine returns a version (deleted or not: see its Deleted),
	// or the latest version of a state machine that is not deleted when
	// version is 0; ENOTFOUND.
	FindStateMachine(ctx context.Context, name string, version int) (*mesh.StateMachine, error)
	// FindStateMachines returns the latest version of every state machine that is not deleted, by name.
	FindStateMachines(ctx context.Context) ([]*mesh.StateMachine, error)
	// MaxStateMachineVersion returns the highest version a name ever had, deleted or not (0 for none).
	MaxStateMachineVersion(ctx context.Context, name string) (int, error)
	// DeleteStateMachine marks every version deleted; ENOTFOUND. Version
	// numbers are never reused, so a version names one definition forever.
	DeleteStateMachine(ctx context.Context, name string) error

	// InsertExecutions adds executions in few statements and returns the ids
	// it inserted; an execution whose name is taken for its state machine is
	// left out.
	InsertExecutions(ctx context.Context, es []*ExecutionRecord) (map[string]bool, error)
	// FindExecution returns an execution by id; ENOTFOUND.
	FindExecution(ctx context.Context, id string) (*ExecutionRecord, error)
	// FindExecutionByName returns an execution by state machine and name; ENOTFOUND.
	FindExecutionByName(ctx context.Context, stateMachine, name string) (*ExecutionRecord, error)
	// FindExecutions lists executions matching f, newest first.
	FindExecutions(ctx context.Context, f ExecutionFilter) ([]*mesh.Execution, error)
	// LockExecution returns an execution, locked until the transaction
	// ends; ENOTFOUND. An execution the transaction holds locked already is
	// read again without waiting, and without emptying the read memo as a
	// lock does.
	LockExecution(ctx context.Context, id string) (*ExecutionRecord, error)
	// HoldsExecution reports whether the transaction holds an execution's
	// lock: LockExecution took it and no rollback to a savepoint has
	// undone that since. False when it cannot tell.
	HoldsExecution(id string) bool
	// ClaimExecutions returns up to limit executions due at now, oldest due
	// first, locked until the transaction ends and skipping those other
	// transactions hold.
	ClaimExecutions(ctx context.Context, now time.Time, limit int) ([]*ExecutionRecord, error)
	// NextWake returns the earliest wake time of any execution, zero if none.
	NextWake(ctx context.Context) (time.Time, error)
	// UpdateExecutions saves executions' status, output, error, stop time,
	// event count, state and wake time, in few statements.
	UpdateExecutions(ctx context.Context, es []*ExecutionRecord) error
	// CountExecutions counts a state machine's executions with the given status.
	CountExecutions(ctx context.Context, stateMachine, status string) (int, error)

	// InsertHistoryEvents appends events to their executions' histories.
	InsertHistoryEvents(ctx context.Context, events []*mesh.HistoryEvent) error
	// FindHistoryEvents returns an execution's events with id > afterID, in order, at most limit.
	FindHistoryEvents(ctx context.Context, executionID string, afterID, limit int) ([]*mesh.HistoryEvent, error)

	// InsertTaskToken stores a token's hash.
	InsertTaskToken(ctx context.Context, t *TaskToken) error
	// FindTaskToken returns a token by hash; ENOTFOUND. Token statuses change
	// only while their execution is locked (LockExecution).
	FindTaskToken(ctx context.Context, hash string) (*TaskToken, error)
	// UpdateTaskTokens sets the status of an execution's active tokens, or of
	// the one bound to attempt when attempt > 0.
	UpdateTaskTokens(ctx context.Context, executionID string, attempt int64, status string, now time.Time) error

	// InsertOutboxTask queues an external task; a task with the same dedupe key is left alone.
	InsertOutboxTask(ctx context.Context, t *OutboxTask) error
	// ClaimOutboxTasks leases up to limit pending tasks whose lease is free or
	// expired at now to owner until leaseUntil, counting a try on each.
	ClaimOutboxTasks(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*OutboxTask, error)
	// FinishOutboxTask marks a task done or cancelled and forgets its input
	// (it may hold a task token); ECONFLICT when owner no
	// longer holds its lease or it is not pending (owner "" skips the lease check).
	FinishOutboxTask(ctx context.Context, id int64, owner, status string) error
	// ReleaseOutboxLeases frees the leases of every pending task, for a
	// process that knows it is the store's only user (SQLite) when it starts.
	ReleaseOutboxLeases(ctx context.Context) error
	// CancelOutboxTasks cancels an execution's pending tasks, or the one of
	// attempt when attempt > 0, and forgets their input.
	CancelOutboxTasks(ctx context.Context, executionID string, attempt int64) error

	// AddWorkflowCounter adds delta to a named counter (created at 0) and
	// returns its new value; EINVALID (field delta), changing nothing,
	// when the sum would pass the range of int64. The check is in the
	// statement that adds: a failed statement would abort a PostgreSQL
	// transaction, and SQLite would store the sum as a float.
	AddWorkflowCounter(ctx context.Context, name string, delta int64) (int64, error)
	// FindWorkflowCounter returns a counter's value, 0 when it does not exist.
	FindWorkflowCounter(ctx context.Context, name string) (int64, error)

	// Savepoint, RollbackToSavepoint and ReleaseSavepoint scope an
	// in-transaction task, so a failed task leaves no partial change.
	Savepoint(ctx context.Context, name string) error
	RollbackToSavepoint(ctx context.Context, name string) error
	ReleaseSavepoint(ctx context.Context, name string) error
}

// CounterRange returns the values a counter may hold for delta to be added
// to it within the range of int64, for the stores' AddWorkflowCounter.
func CounterRange(delta int64) (lo, hi int64) {
	if delta < 0 {
		return math.MinInt64 - delta, math.MaxInt64
	}
	return math.MinInt64, math.MaxInt64 - delta
}

// ErrCounterRange is AddWorkflowCounter's error for a sum past the range of int64.
func ErrCounterRange(name string, delta int64) error {
	return mesh.Invalid("delta", "%d would take counter %s past the range of a 64-bit integer", delta, name)
}
