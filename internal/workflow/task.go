package workflow

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// defaultExternalTimeout bounds an external task whose state sets no TimeoutSeconds.
const defaultExternalTimeout = 60 * time.Second

// startTask schedules a task attempt and, for in-transaction resources,
// runs it at once.
func (s *stepper) startTask(f *frame, call *asl.TaskCall, token string) error {
	r := s.r
	r.st.Seq++
	f.Phase, f.TaskSeq, f.Resource = phaseTask, r.st.Seq, call.Resource
	f.Due, f.HeartbeatDue, f.Heartbeat = time.Time{}, time.Time{}, call.HeartbeatSeconds
	if call.TimeoutSeconds > 0 {
		f.Due = r.now.Add(time.Duration(call.TimeoutSeconds) * time.Second)
	}
	if call.HeartbeatSeconds > 0 {
		f.HeartbeatDue = r.now.Add(time.Duration(call.HeartbeatSeconds) * time.Second)
	}
	// The task gets call.Input with its token; history shows the token
	// only by its first characters, and the parameters as the resource
	// redacts them (RedactParameters): it is read by more people than the
	// task, and only the token's hash is kept anywhere else.
	shown := redactToken(s.e.registry.shownParameters(call.Resource, call.Input), token)
	sched := map[string]any{"resource": call.Resource, "parameters": shown}
	if call.TimeoutSeconds > 0 {
		sched["timeoutInSeconds"] = call.TimeoutSeconds
	}
	if call.HeartbeatSeconds > 0 {
		sched["heartbeatInSeconds"] = call.HeartbeatSeconds
	}
	r.event(f, "TaskScheduled", sched)
	txFn, extFn, callback, atomic := s.e.registry.lookupAtomic(call.Resource)
	f.Callback, f.External = callback, extFn != nil
	if txFn == nil && extFn == nil {
		return s.taskFailed(f, asl.StateError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("unknown task resource %q", call.Resource)}, false)
	}
	if callback {
		if err := s.tx.InsertTaskToken(s.ctx, &store.TaskToken{
			Hash: hashToken(token), ExecutionID: r.rec.ID, Attempt: f.TaskSeq, State: f.State,
			Status: store.TokenActive, CreatedAt: r.now,
		}); err != nil {
			return err
		}
	}
	r.event(f, "TaskStarted", map[string]any{"resource": call.Resource})
	if extFn != nil {
		in, err := asl.MarshalJSON(call.Input)
		if err != nil {
			return s.taskFailed(f, asl.StateError{Name: asl.ErrRuntime, Cause: err.Error()}, false)
		}
		timeout := defaultExternalTimeout
		if call.TimeoutSeconds > 0 {
			timeout = time.Duration(call.TimeoutSeconds) * time.Second
		}
		s.outbox = true
		return s.tx.InsertOutboxTask(s.ctx, &store.OutboxTask{
			ExecutionID: r.rec.ID, Attempt: f.TaskSeq, DedupeKey: dedupeKey(r.rec.ID, f.State, f.TaskSeq),
			Resource: call.Resource, Input: in, Timeout: timeout, Status: store.OutboxPending, CreatedAt: r.now,
		})
	}
	const sp = "workflow_task"
	if !atomic {
		if err := s.tx.Savepoint(s.ctx, sp); err != nil {
			return fmt.Errorf("task savepoint: %w", err)
		}
	}
	result, err := callTx(s.ctx, txFn, s.tx, call.Input)
	if err != nil {
		var panicked *taskPanic
		if errors.As(err, &panicked) {
			s.e.log.Error("workflow task panicked", "execution", s.r.rec.ID, "resource", call.Resource,
				"panic", panicked.value, "stack", string(panicked.stack))
		}
		if atomic && !taskFailure(err) {
			// With no savepoint to roll back to, a failed statement may
			// have aborted the transaction (PostgreSQL), and what a
			// panicking task wrote cannot be undone alone: recording the
			// task's failure in this transaction would fail the whole
			// batch's write later, with no word of why, or commit half a
			// task. The transition fails now, with the task's error.
			return fmt.Errorf("task %s: %w", call.Resource, err)
		}
		if !atomic {
			if rerr := s.tx.RollbackToSavepoint(s.ctx, sp); rerr != nil {
				return fmt.Errorf("task savepoint: %w", rerr)
			}
		}
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		if s.e.store.Transient(err) {
			// the store, not the task, failed: the whole transition runs again
			return err
		}
		if panicked != nil {
			return s.taskFailed(f, asl.StateError{Name: asl.ErrRuntime, Cause: err.Error()}, false)
		}
		return s.taskFailed(f, stateError(err), false)
	}
	if !atomic {
		if err := s.tx.ReleaseSavepoint(s.ctx, sp); err != nil {
			return fmt.Errorf("task savepoint: %w", err)
		}
	}
	if callback {
		return nil // the task now waits for its token
	}
	return s.taskSucceeded(f, result)
}

// taskPanic is the recovered panic of an in-transaction task, with the
// stack it was raised on, for the log.
type taskPanic struct {
	value any
	stack []byte
}

func (p *taskPanic) Error() string { return fmt.Sprintf("internal error: %v", p.value) }

// callTx runs an in-transaction task, returning its panic as a *taskPanic.
// The task must not panic past here: advance would recover and fail the
// execution in this transaction, committing whatever the task wrote
// before it panicked, where a failed task's writes are rolled back.
func callTx(ctx context.Context, fn TxTaskFunc, tx store.Tx, input any) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, err = nil, &taskPanic{value: p, stack: debug.Stack()}
		}
	}()
	return fn(ctx, tx, input)
}

// taskFailure reports whether err is a task's own failure (a *TaskError or
// an asl.StateError), as opposed to a failure of the store under it.
func taskFailure(err error) bool {
	var te *TaskError
	var se *asl.StateError
	return errors.As(err, &te) || errors.As(err, &se)
}

// tokenShown is how many of a task token's characters history shows: its
// time and 48 of its 256 random bits, enough to tell tokens apart.
const tokenShown = 16

// redactToken returns v with every occurrence of token, in any string of
// the value, cut to its first tokenShown characters and "…". It returns a
// copy; v itself is left alone, since the task still gets it.
func redactToken(v any, token string) any {
	if token == "" {
		return v
	}
	switch t := v.(type) {
	case string:
		if strings.Contains(t, token) {
			return strings.ReplaceAll(t, token, token[:min(tokenShown, len(token))]+"…")
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = redactToken(e, token)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactToken(e, token)
		}
		return out
	}
	return v
}

func dedupeKey(executionID, state string, seq int64) string {
	return fmt.Sprintf("%s/%s/%d", executionID, state, seq)
}

// taskSucceeded completes f's task with result.
func (s *stepper) taskSucceeded(f *frame, result any) error {
	b, err := asl.MarshalJSON(result)
	if err != nil {
		return s.taskFailed(f, asl.StateError{Name: asl.ErrRuntime, Cause: err.Error()}, false)
	}
	if len(b) > MaxPayloadSize {
		return s.taskFailed(f, asl.StateError{Name: asl.ErrDataLimitExceeded,
			Cause: fmt.Sprintf("the task result has %d bytes, more than the limit of %d", len(b), MaxPayloadSize)}, false)
	}
	s.r.event(f, "TaskSucceeded", map[string]any{"resource": f.Resource, "output": result})
	s.clearTask(f)
	out, err := f.machine.Complete(f.State, f.Input.V, result, s.r.context(f))
	if err != nil {
		return err
	}
	return s.apply(f, out, "")
}

// taskFailed fails f's task with serr.
func (s *stepper) taskFailed(f *frame, serr asl.StateError, timedOut bool) error {
	typ := "TaskFailed"
	if timedOut {
		typ = "TaskTimedOut"
	}
	s.r.event(f, typ, map[string]any{"resource": f.Resource, "error": serr.Name, "cause": serr.Cause})
	s.clearTask(f)
	out := f.machine.Fail(f.State, f.Input.V, serr, s.r.context(f))
	return s.apply(f, out, "")
}

func (s *stepper) clearTask(f *frame) {
	s.cancelTask(f)
	f.Phase = ""
	f.Due, f.HeartbeatDue, f.Heartbeat = time.Time{}, time.Time{}, 0
	f.Resource, f.Callback, f.External = "", false, false
}

// prepare withdraws cancelled task attempts and encodes the execution; the
// caller then writes it with its events, alone (save) or in a batch.
func (s *stepper) prepare() error {
	if s.withdrawAll {
		// attempt 0: every attempt of the execution
		s.expired, s.cancelled = []int64{0}, []int64{0}
	}
	for _, seq := range s.expired {
		if err := s.tx.UpdateTaskTokens(s.ctx, s.r.rec.ID, seq, store.TokenExpired, s.r.now); err != nil {
			return err
		}
	}
	for _, seq := range s.cancelled {
		if err := s.tx.CancelOutboxTasks(s.ctx, s.r.rec.ID, seq); err != nil {
			return err
		}
	}
	s.expired, s.cancelled = nil, nil
	if s.ended {
		s.ended = false
		s.countEnd()
		for _, h := range s.e.endHooks() {
			if err := h(s.ctx, s.tx, &s.r.rec.Execution); err != nil {
				return fmt.Errorf("execution %s end hook: %w", s.r.rec.ID, err)
			}
		}
	}
	return s.r.encode()
}

// save writes the execution and its new history events.
func (s *stepper) save() error {
	if err := s.prepare(); err != nil {
		return err
	}
	if err := s.tx.UpdateExecutions(s.ctx, []*store.ExecutionRecord{s.r.rec}); err != nil {
		return err
	}
	if err := s.tx.InsertHistoryEvents(s.ctx, s.r.events); err != nil {
		return err
	}
	s.r.events = nil
	return nil
}

func secondsDuration(n int64) time.Duration { return time.Duration(n) * time.Second }
