package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// callback finds a token's task and applies fn to it in one transaction.
// A reused or late token changes nothing.
func (e *Engine) callback(ctx context.Context, token, action string, use bool, fn func(s *stepper, f *frame) error) error {
	if token == "" || len(token) > 1024 {
		return mesh.Invalid("task_token", "is required and at most 1024 characters")
	}
	var late error
	err := e.store.Update(ctx, func(tx store.Tx) error {
		late = nil
		err := e.callbackTx(ctx, tx, hashToken(token), action, use, false, fn)
		if errors.Is(err, errLate) {
			// what the execution did until now, which the answer came too
			// late for (a timeout, its end), is saved
			late = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return late
}

// errProtected answers the generic task calls for a protected resource's task.
var errProtected = mesh.Errorf(mesh.EFORBIDDEN, "this task is answered only through its own API (an approval is decided with the approval API)")

// callbackTx applies fn, in tx, to the task waiting for the token whose hash
// is hash. Unless internal is set, a task of a protected resource is refused.
func (e *Engine) callbackTx(ctx context.Context, tx store.Tx, hash, action string, use, internal bool, fn func(s *stepper, f *frame) error) error {
	tok, err := tx.FindTaskToken(ctx, hash)
	if err != nil {
		return err
	}
	// Lock the execution, then read the token again: its status only
	// changes under that lock, and taking locks in this order everywhere
	// keeps replicas from deadlocking. A transaction that holds the lock
	// already (a decision locks first) read the token under it.
	held := tx.HoldsExecution(tok.ExecutionID)
	rec, err := tx.LockExecution(ctx, tok.ExecutionID)
	if err != nil {
		return err
	}
	if !held {
		if tok, err = tx.FindTaskToken(ctx, hash); err != nil {
			return err
		}
	}
	switch tok.Status {
	case store.TokenUsed:
		return mesh.Errorf(mesh.ECONFLICT, "the task token was already used")
	case store.TokenExpired:
		return mesh.Errorf(mesh.ECONFLICT, "the task token expired: its task timed out, failed or its execution ended")
	}
	// the token is spent only on the task it was made for: one that is no
	// longer running withdrew it, or does when the execution catches up
	apply := func(s *stepper, f *frame) error {
		if !internal && e.registry.Protected(f.Resource) {
			return errProtected
		}
		if use {
			if err := tx.UpdateTaskTokens(ctx, tok.ExecutionID, tok.Attempt, store.TokenUsed, e.clock.Now()); err != nil {
				return err
			}
			f.Callback = false // the token is spent: ending the task leaves it alone
		}
		return fn(s, f)
	}
	if err := e.deliver(ctx, tx, rec, tok.Attempt, apply); err != nil {
		return err
	}
	if use {
		// the answer may leave the execution due (a Wait, a retry, more
		// states than one pass enters): the dispatcher, asleep until its
		// last known wake time, looks again once the answer is committed
		tx.AfterCommit(e.wake)
	}
	return store.Audit(ctx, tx, e.clock.Now(), action, "execution/"+tok.ExecutionID, tok.State)
}

// HashToken returns the stored form of a task token, which services that
// answer their own tasks (SucceedTaskTx, FailTaskTx) keep instead of the token.
func HashToken(token string) string { return hashToken(token) }

// SucceedTaskTx completes, in the caller's transaction, the task waiting for
// the token whose hash is tokenHash, protected or not: for services that
// decide their own tasks and record the decision in the same commit.
// Errors: ENOTFOUND (unknown token), ECONFLICT (used, expired or late token).
func (e *Engine) SucceedTaskTx(ctx context.Context, tx store.Tx, tokenHash string, output any) error {
	return e.callbackTx(ctx, tx, tokenHash, "workflow.task.success", true, true, func(s *stepper, f *frame) error {
		return s.taskSucceeded(f, output)
	})
}

// FailTaskTx fails, in the caller's transaction, the task waiting for the
// token whose hash is tokenHash; see SucceedTaskTx.
func (e *Engine) FailTaskTx(ctx context.Context, tx store.Tx, tokenHash, errName, cause string) error {
	return e.callbackTx(ctx, tx, tokenHash, "workflow.task.failure", true, true, func(s *stepper, f *frame) error {
		return s.taskFailed(f, asl.StateError{Name: errName, Cause: cause}, false)
	})
}

// SendTaskSuccess completes the task waiting for token with output. Errors:
// EINVALID (token, output), ETOOLARGE, ENOTFOUND (unknown token),
// ECONFLICT (used, expired or late token).
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if len(output) == 0 {
		output = json.RawMessage("{}")
	}
	if len(output) > MaxPayloadSize {
		return &mesh.Error{Code: mesh.ETOOLARGE, Field: "output",
			Message: fmt.Sprintf("the output has %d bytes, more than the limit of %d", len(output), MaxPayloadSize)}
	}
	v, err := asl.ParseJSON(output)
	if err != nil {
		return mesh.Invalid("output", "is not valid JSON: %v", err)
	}
	return e.callback(ctx, token, "workflow.task.success", true, func(s *stepper, f *frame) error {
		return s.taskSucceeded(f, v)
	})
}

// SendTaskFailure fails the task waiting for token; errName defaults to
// States.TaskFailed. Errors: as SendTaskSuccess.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if err := checkErrorCause(errName, cause); err != nil {
		return err
	}
	if errName == "" {
		errName = asl.ErrTaskFailed
	}
	return e.callback(ctx, token, "workflow.task.failure", true, func(s *stepper, f *frame) error {
		return s.taskFailed(f, asl.StateError{Name: errName, Cause: cause}, false)
	})
}

// SendTaskHeartbeat restarts the heartbeat timer of the task waiting for
// token. Errors: as SendTaskSuccess.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	return e.callback(ctx, token, "workflow.task.heartbeat", false, func(s *stepper, f *frame) error {
		if f.Heartbeat > 0 {
			f.HeartbeatDue = s.r.now.Add(secondsDuration(f.Heartbeat))
		}
		return nil
	})
}
