package asl

import "time"

// Kind tells what an Outcome asks the engine to do.
type Kind int

// Outcome kinds.
const (
	// Goto: move to state Next with Output as its input.
	Goto Kind = iota + 1
	// Succeeded: the frame (the machine, a branch or an item) ends with
	// Output.
	Succeeded
	// Failed: the frame ends with Error and Cause.
	Failed
	// RunTask: run Task, then call Complete with its result or Fail with
	// its error.
	RunTask
	// Wait: wait until Until, record WaitStateExited, then go to Next with
	// Output, or end the frame with Output when End is set.
	Wait
	// RunBranches: run each branch machine from its StartAt with its input,
	// then call Complete with the array of their outputs in branch order, or
	// Fail with the error of the first branch that failed.
	RunBranches
	// RunItems: run the processor machine once per item (at most
	// MaxConcurrency at a time when it is above 0), then call Complete with
	// the array of their outputs in item order, or Fail with the error of
	// the first item that failed.
	RunItems
	// RetryAfter: wait Retry.Delay, then Enter the same state again with its
	// original input, with ctx.Attempts = Retry.Attempts and
	// ctx.State.RetryCount = Retry.RetryCount.
	RetryAfter
)

var kindNames = [...]string{"", "Goto", "Succeeded", "Failed", "RunTask", "Wait", "RunBranches", "RunItems", "RetryAfter"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Outcome is the result of one step of the interpreter. Kind says which
// fields are set. Values in it may share structure with the step's inputs
// and with the Machine: treat every value tree as immutable.
type Outcome struct {
	Kind Kind
	// Next is the next state for Goto and Wait.
	Next string
	// End is set on Wait when the frame ends after the wait.
	End bool
	// Output is the next state's input (Goto, Wait) or the frame's output
	// (Succeeded).
	Output any
	// Error and Cause describe the failure for Failed, the error being
	// retried for RetryAfter, and the error caught for a Goto to a Catcher's
	// Next.
	Error string
	Cause string
	// Until is when a Wait ends.
	Until time.Time
	// Task is the task to run for RunTask.
	Task *TaskCall
	// Branches are the branches to run for RunBranches.
	Branches []Branch
	// Items is the iteration to run for RunItems.
	Items *Items
	// Retry is set for RetryAfter.
	Retry *Retry
	// Events are the history events to record for this step, in order.
	Events []EventType
}

// TaskCall is a task for the engine to run.
type TaskCall struct {
	Resource string
	// Input is the task's effective input, after InputPath and Parameters.
	Input any
	// TimeoutSeconds and HeartbeatSeconds are 0 when not set; the ...Path
	// forms are resolved.
	TimeoutSeconds   int64
	HeartbeatSeconds int64
}

// Branch is one branch of a Parallel state to run.
type Branch struct {
	Machine *Machine
	Input   any
}

// Items is the iteration of a Map state.
type Items struct {
	Processor *Machine
	// Inputs are the processor's inputs, one per item, after ItemSelector.
	Inputs []any
	// MaxConcurrency bounds the items run at once; 0 means no bound.
	MaxConcurrency int
}

// Retry describes a retry to schedule.
type Retry struct {
	Delay time.Duration
	// Retrier is the index of the Retrier that matched.
	Retrier int
	// Attempts are the per-Retrier retry counts to pass back in
	// ctx.Attempts for the next step of this state.
	Attempts []int
	// RetryCount is $$.State.RetryCount for the next attempt.
	RetryCount int
}
