package asl

import (
	"fmt"
	"sort"
	"strings"
)

// Error names predefined by the Amazon States Language and Step Functions.
const (
	ErrAll                    = "States.ALL"
	ErrRuntime                = "States.Runtime"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrTaskFailed             = "States.TaskFailed"
	ErrTimeout                = "States.Timeout"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrPermissions            = "States.Permissions"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrBranchFailed           = "States.BranchFailed"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
)

// knownErrors are the "States." names a Retrier or Catcher may list.
var knownErrors = map[string]bool{
	ErrAll: true, ErrRuntime: true, ErrDataLimitExceeded: true, ErrTaskFailed: true,
	ErrTimeout: true, ErrHeartbeatTimeout: true, ErrPermissions: true,
	ErrParameterPathFailure: true, ErrResultPathMatchFailure: true, ErrBranchFailed: true,
	ErrNoChoiceMatched: true, ErrIntrinsicFailure: true,
	"States.ExceedToleratedFailureThreshold": true, "States.ItemReaderFailed": true,
	"States.ResultWriterFailed": true, "States.QueryEvaluationError": true,
}

// StateError is an error a state raised: a task failure reported by the
// engine, or a failure of the interpreter's own processing (paths, templates,
// choice rules). Name is the error name Retry and Catch match on.
type StateError struct {
	Name  string
	Cause string
}

func (e *StateError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func runtimeErr(format string, args ...any) *StateError {
	return &StateError{Name: ErrRuntime, Cause: fmt.Sprintf(format, args...)}
}

// Terminal reports whether no Retrier or Catcher may handle the error:
// Step Functions never retries or catches States.Runtime and
// States.DataLimitExceeded, even when listed explicitly.
func (e StateError) Terminal() bool {
	return e.Name == ErrRuntime || e.Name == ErrDataLimitExceeded
}

// matchesError reports whether an ErrorEquals entry matches an error name.
// States.ALL matches every error name; States.TaskFailed matches every error
// name except the timeouts; States.Timeout also matches
// States.HeartbeatTimeout, since a missed heartbeat is a timeout of the task.
// Terminal errors are filtered out before this is called.
func matchesError(pattern, name string) bool {
	switch pattern {
	case name:
		return true
	case ErrAll:
		return true
	case ErrTaskFailed:
		return name != ErrTimeout && name != ErrHeartbeatTimeout
	case ErrTimeout:
		return name == ErrHeartbeatTimeout
	}
	return false
}

// Problem is one reason a definition is invalid.
type Problem struct {
	// State locates the state: its name, prefixed by the enclosing Parallel
	// or Map states for nested machines, as in "Fan/Branches[1]/Check" or
	// "Each/ItemProcessor/Check". Empty for the machine's top-level fields.
	State string
	// Field names the offending field, as in "Retry[0].MaxAttempts".
	Field   string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.State != "" {
		fmt.Fprintf(&b, "state %q: ", p.State)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "field %q: ", p.Field)
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a definition.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid state machine definition: " + e.Problems[0].String()
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "- " + p.String()
	}
	return fmt.Sprintf("invalid state machine definition: %d problems:\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// problems collects validation problems while a definition is decoded.
type problems struct {
	list []Problem
}

func (ps *problems) add(state, field, format string, args ...any) {
	ps.list = append(ps.list, Problem{State: state, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.State != b.State {
			return a.State < b.State
		}
		return a.Field < b.Field
	})
	return &ValidationError{Problems: ps.list}
}
