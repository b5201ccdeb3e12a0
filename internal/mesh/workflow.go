package mesh

import (
	"encoding/json"
	"time"
)

// StateMachine is one version of a named workflow definition in the Amazon
// States Language. Versions are immutable: an update adds a version, and
// running executions keep the version they started with.
type StateMachine struct {
	Name        string          `json:"name"`
	Version     int             `json:"version"`
	Description string          `json:"description,omitempty"`
	Definition  json.RawMessage `json:"definition"`
	CreatedAt   time.Time       `json:"created_at"`
	// CreatedBy is the principal that saved this version.
	CreatedBy string `json:"created_by,omitempty"`
	// Deleted is set on the versions of a deleted state machine: they stay
	// readable for their executions, and no execution starts with them,
	// even once a state machine of the same name is created again.
	Deleted bool `json:"deleted,omitempty"`
}

// Execution statuses, as Step Functions names them.
const (
	ExecutionRunning   = "RUNNING"
	ExecutionSucceeded = "SUCCEEDED"
	ExecutionFailed    = "FAILED"
	ExecutionTimedOut  = "TIMED_OUT"
	ExecutionAborted   = "ABORTED"
)

// ValidExecutionStatus reports whether s names an execution status.
func ValidExecutionStatus(s string) bool {
	switch s {
	case ExecutionRunning, ExecutionSucceeded, ExecutionFailed, ExecutionTimedOut, ExecutionAborted:
		return true
	}
	return false
}

// Execution is one run of a state machine version.
type Execution struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	StateMachine string          `json:"state_machine"`
	Version      int             `json:"version"`
	Status       string          `json:"status"`
	Input        json.RawMessage `json:"input"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StartedAt    time.Time       `json:"started_at"`
	StoppedAt    time.Time       `json:"stopped_at,omitzero"`
	// Deadline is when the execution times out (its TimeoutSeconds, at most
	// one year after the start).
	Deadline time.Time `json:"deadline"`
	// Events is the number of history events recorded so far.
	Events int `json:"events"`
	// StartedBy is the principal that started the execution.
	StartedBy string `json:"started_by,omitempty"`
}

// Terminal reports whether the execution has ended.
func (e *Execution) Terminal() bool { return e.Status != ExecutionRunning }

// HistoryEvent is one entry of an execution's history, typed as Step
// Functions types them (ExecutionStarted, TaskStateEntered, TaskScheduled,
// ...). IDs count from 1 within the execution; PreviousID links the event to
// the one before it in the same branch of the run (0 for the first).
type HistoryEvent struct {
	ExecutionID string          `json:"execution_id"`
	ID          int             `json:"id"`
	PreviousID  int             `json:"previous_id"`
	Type        string          `json:"type"`
	Timestamp   time.Time       `json:"timestamp"`
	Details     json.RawMessage `json:"details,omitempty"`
	// Repeats, set by the engine as it records the event, names the fields
	// Details leaves out because they hold the previous event's value of a
	// field: {"input": "output"} says that this event's input is the
	// previous event's output. A state's input is the output the state
	// before it exited with, so a history need not keep it twice. The
	// stores keep the event so and fill the fields in as they read it back:
	// an event read from a store has all its details and no Repeats.
	Repeats map[string]string `json:"-"`
}
