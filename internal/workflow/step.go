package workflow

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// Limits, as Step Functions sets them.
const (
	// MaxHistoryEvents bounds an execution's history.
	MaxHistoryEvents = 25000
	// MaxPayloadSize bounds inputs, outputs and task results (256 KiB).
	MaxPayloadSize = asl.MaxPayloadSize
	// MaxDuration bounds an execution's run time.
	MaxDuration = 365 * 24 * time.Hour
	// maxStepsPerPass bounds the states one execution enters in one
	// transaction, so a looping definition cannot hold the writer.
	maxStepsPerPass = 500
)

// A task token is the time it was made (milliseconds since 1970, 6 bytes)
// followed by 256 random bits, base64url-encoded (51 characters).
// Only its key is stored: the time in hex, then the token's SHA-256. Keys
// made later sort later, so a new token's key lands at the end of the
// store's index of tokens rather than on a random page of it, which the
// store would write again (and, in SQLite, log in full) for each token
// made. The time is not secret; the random bits are.
const tokenTimeBytes = 6

var timedTokenLen = base64.RawURLEncoding.EncodedLen(tokenTimeBytes + 32)

// newToken returns a task token made at now and its stored key.
func newToken(now time.Time) (token, key string) {
	b := make([]byte, tokenTimeBytes+32)
	ms := uint64(now.UnixMilli())
	for i := range tokenTimeBytes {
		b[i] = byte(ms >> (8 * (tokenTimeBytes - 1 - i)))
	}
	rand.Read(b[tokenTimeBytes:])
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken returns a token's stored key. Tokens made before tokens
// carried their time (43 characters, 256 random bits) are keyed by their
// SHA-256 alone, so that those still waiting can be answered.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	sum := hex.EncodeToString(h[:])
	if len(token) != timedTokenLen {
		return sum
	}
	t, err := base64.RawURLEncoding.DecodeString(token[:tokenTimeBytes*4/3])
	if err != nil {
		return sum
	}
	return hex.EncodeToString(t) + sum
}

// stepper advances one loaded execution inside a transaction.
type stepper struct {
	e   *Engine
	ctx context.Context
	tx  store.Tx
	r   *run
	// expired and cancelled list task attempts whose tokens and outbox
	// entries must be withdrawn when the transition is saved.
	expired, cancelled []int64
	// outbox is set when an external task was queued.
	outbox bool
	// limit bounds the states entered (default maxStepsPerPass).
	limit int
	// ended is set when the execution ended in this transaction, for the
	// end hooks prepare runs.
	ended bool
	// withdrawAll is set for an execution that could not be loaded, whose
	// task attempts are unknown: prepare withdraws all its tokens and
	// outbox entries.
	withdrawAll bool
}

// advance moves the execution as far as it can go now: ready states,
// due timers and timeouts. A panic in a step fails the execution rather
// than the batch.
func (s *stepper) advance() (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.e.log.Error("workflow step panicked", "execution", s.r.rec.ID, "panic", p)
			s.endExecution(mesh.ExecutionFailed, asl.ErrRuntime, fmt.Sprintf("internal error: %v", p))
			err = nil
		}
	}()
	for s.r.rec.Status == mesh.ExecutionRunning {
		if !s.r.now.Before(s.r.rec.Deadline) {
			s.endExecution(mesh.ExecutionTimedOut, asl.ErrTimeout, "the execution ran longer than its TimeoutSeconds")
			break
		}
		if s.r.rec.Events >= MaxHistoryEvents-1 || s.r.historyFull {
			s.endExecution(mesh.ExecutionFailed, asl.ErrRuntime,
				fmt.Sprintf("the execution history reached the limit of %d events", MaxHistoryEvents))
			break
		}
		if limit := cmp.Or(s.limit, maxStepsPerPass); s.r.steps >= limit {
			break
		}
		progressed, err := s.step(s.r.st.Root)
		if err != nil {
			return err
		}
		if s.r.historyFull && !s.r.rec.Terminal() {
			s.endExecution(mesh.ExecutionFailed, asl.ErrRuntime,
				fmt.Sprintf("the execution history reached the limit of %d events", MaxHistoryEvents))
			break
		}
		if s.r.tooLarge && !s.r.rec.Terminal() {
			s.endExecution(mesh.ExecutionFailed, asl.ErrDataLimitExceeded,
				fmt.Sprintf("a state's input or output is larger than the limit of %d bytes", MaxPayloadSize))
			break
		}
		if !progressed {
			break
		}
	}
	return nil
}

// step makes one move in frame f or its children.
func (s *stepper) step(f *frame) (bool, error) {
	now := s.r.now
	switch f.Phase {
	case phaseEnter:
		return true, s.enter(f)
	case phaseRetry:
		if now.Before(f.Due) {
			return false, nil
		}
		f.Phase, f.Due = phaseEnter, time.Time{}
		return true, s.enter(f)
	case phaseWait:
		if now.Before(f.Due) {
			return false, nil
		}
		out := f.Output
		f.Output, f.Due = nil, time.Time{}
		s.r.event(f, string(asl.EventWaitStateExited), map[string]any{"name": f.State, "output": out.V})
		if f.End {
			return true, s.frameEnded(f, out.V, nil)
		}
		s.goTo(f, f.Next, out.V)
		return true, nil
	case phaseTask:
		switch {
		case !f.Due.IsZero() && !now.Before(f.Due):
			return true, s.taskFailed(f, asl.StateError{Name: asl.ErrTimeout, Cause: "the task did not finish within its TimeoutSeconds"}, true)
		case !f.HeartbeatDue.IsZero() && !now.Before(f.HeartbeatDue):
			return true, s.taskFailed(f, asl.StateError{Name: asl.ErrHeartbeatTimeout, Cause: "no heartbeat within the task's HeartbeatSeconds"}, true)
		}
		return false, nil
	case phaseChildren:
		progressed := false
		for _, c := range append([]*frame(nil), f.Children...) {
			if f.Phase != phaseChildren || s.r.rec.Terminal() {
				break // a failed child ended the state
			}
			ok, err := s.step(c)
			if err != nil {
				return false, err
			}
			progressed = progressed || ok
		}
		return progressed, nil
	}
	return false, nil
}

func (s *stepper) goTo(f *frame, next string, input any) {
	f.State, f.Input, f.Phase = next, Value{input}, phaseEnter
	f.Attempts, f.RetryCount, f.Entered = nil, 0, time.Time{}
}

// enter enters f's current state.
func (s *stepper) enter(f *frame) error {
	s.r.steps++
	s.e.transitions.Add(1)
	m := f.machine
	st := m.States[f.State]
	if f.Entered.IsZero() {
		f.Entered = s.r.now
	}
	actx := s.r.context(f)
	var token string
	if st != nil && st.Type == asl.TypeTask && strings.HasSuffix(st.Resource, CallbackSuffix) {
		token, _ = newToken(s.r.now)
		actx.Task = &asl.TaskInfo{Token: token}
	}
	out, err := m.Enter(f.State, f.Input.V, actx)
	if err != nil {
		// only a state the machine does not have: the saved position is
		// unusable, so the execution fails rather than the batch
		s.endExecution(mesh.ExecutionFailed, asl.ErrRuntime, err.Error())
		return nil
	}
	return s.apply(f, out, token)
}

// apply carries out an interpreter outcome for frame f.
func (s *stepper) apply(f *frame, out asl.Outcome, token string) error {
	for _, ev := range out.Events {
		s.stateEvent(f, ev, out)
	}
	switch out.Kind {
	case asl.Goto:
		s.goTo(f, out.Next, out.Output)
	case asl.Succeeded:
		return s.frameEnded(f, out.Output, nil)
	case asl.Failed:
		return s.frameEnded(f, nil, &asl.StateError{Name: out.Error, Cause: out.Cause})
	case asl.Wait:
		o := Value{out.Output}
		f.Phase, f.Due, f.Next, f.End, f.Output = phaseWait, out.Until, out.Next, out.End, &o
	case asl.RetryAfter:
		f.Phase, f.Due = phaseRetry, s.r.now.Add(out.Retry.Delay)
		f.Attempts, f.RetryCount = out.Retry.Attempts, out.Retry.RetryCount
	case asl.RunTask:
		return s.startTask(f, out.Task, token)
	case asl.RunBranches:
		f.Phase, f.IsMap = phaseChildren, false
		f.Results = make([]Value, len(out.Branches))
		for i, b := range out.Branches {
			s.startChild(f, i, b.Machine, b.Input, locStep{State: f.State, Branch: i})
		}
		if len(out.Branches) == 0 {
			return s.childrenDone(f)
		}
	case asl.RunItems:
		f.Phase, f.IsMap = phaseChildren, true
		f.Results = make([]Value, len(out.Items.Inputs))
		f.Items = make([]Value, len(out.Items.Inputs))
		for i, in := range out.Items.Inputs {
			f.Items[i] = Value{in}
		}
		f.NextItem, f.MaxConc = 0, out.Items.MaxConcurrency
		if len(f.Items) == 0 {
			return s.childrenDone(f)
		}
		s.startItems(f)
	default:
		return fmt.Errorf("execution %s: unexpected outcome %s", s.r.rec.ID, out.Kind)
	}
	return nil
}

// stateEvent records an interpreter event with its payload.
func (s *stepper) stateEvent(f *frame, ev asl.EventType, out asl.Outcome) {
	name := string(ev)
	d := map[string]any{"name": f.State}
	switch {
	case strings.HasSuffix(name, "Entered"):
		d["input"] = f.Input.V
	case strings.HasSuffix(name, "Exited"):
		d["output"] = out.Output
	case strings.HasSuffix(name, "Failed"):
		d["error"], d["cause"] = out.Error, out.Cause
	}
	s.r.event(f, name, d)
}

func (s *stepper) startChild(f *frame, index int, m *asl.Machine, input any, loc locStep) {
	c := &frame{
		Loc: append(append([]locStep(nil), f.Loc...), loc), Index: index,
		State: m.StartAt, Input: Value{input}, Phase: phaseEnter, parent: f, machine: m,
	}
	f.Children = append(f.Children, c)
	if f.IsMap {
		s.r.event(c, "MapIterationStarted", map[string]any{"name": f.State, "index": int64(index)})
	}
}

// startItems starts Map items up to the concurrency bound.
func (s *stepper) startItems(f *frame) {
	proc := f.machine.States[f.State].Processor
	for f.NextItem < len(f.Items) && (f.MaxConc <= 0 || len(f.Children) < f.MaxConc) {
		i := f.NextItem
		s.startChild(f, i, proc, f.Items[i].V, locStep{State: f.State, Branch: -1})
		f.Items[i] = Value{}
		f.NextItem++
	}
}

// frameEnded ends frame f with output, or with serr.
func (s *stepper) frameEnded(f *frame, output any, serr *asl.StateError) error {
	// An ended frame is in no phase. step goes through a copy of a
	// frame's children while the frame is in phaseChildren: a Parallel or
	// Map that ended because a child failed (its failure taken by a state
	// further out) must stop it there, before it steps the children it
	// abandoned.
	f.Phase = ""
	p := f.parent
	if p == nil {
		if serr != nil {
			s.endExecution(mesh.ExecutionFailed, serr.Name, serr.Cause)
			return nil
		}
		b, err := asl.MarshalJSON(output)
		if err != nil {
			return err
		}
		if len(b) > MaxPayloadSize {
			s.endExecution(mesh.ExecutionFailed, asl.ErrDataLimitExceeded,
				fmt.Sprintf("the execution output has %d bytes, more than the limit of %d", len(b), MaxPayloadSize))
			return nil
		}
		s.r.rec.Output = b
		s.r.event(nil, "ExecutionSucceeded", map[string]any{"output": output})
		s.finish(mesh.ExecutionSucceeded, "", "")
		return nil
	}
	for i, c := range p.Children {
		if c == f {
			p.Children = append(p.Children[:i], p.Children[i+1:]...)
			break
		}
	}
	if serr != nil {
		if p.IsMap {
			s.r.event(f, "MapIterationFailed", map[string]any{"name": p.State, "index": int64(f.Index), "error": serr.Name, "cause": serr.Cause})
		}
		s.abortFrames(p.Children)
		p.Children, p.Results, p.Items = nil, nil, nil
		out := p.machine.Fail(p.State, p.Input.V, *serr, s.r.context(p))
		return s.apply(p, out, "")
	}
	p.Results[f.Index] = Value{output}
	if p.IsMap {
		s.r.event(f, "MapIterationSucceeded", map[string]any{"name": p.State, "index": int64(f.Index)})
		s.startItems(p)
	}
	if len(p.Children) == 0 {
		return s.childrenDone(p)
	}
	return nil
}

// childrenDone completes a Parallel or Map state with its results.
func (s *stepper) childrenDone(f *frame) error {
	results := make([]any, len(f.Results))
	for i, v := range f.Results {
		results[i] = v.V
	}
	f.Results, f.Items, f.NextItem = nil, nil, 0
	out, err := f.machine.Complete(f.State, f.Input.V, results, s.r.context(f))
	if err != nil {
		return err
	}
	return s.apply(f, out, "")
}

// abortFrames cancels the tasks of frames that will not finish and leaves
// them in no phase, so that nothing steps them again: frameEnded's reset
// of the phase already stops step, this keeps a stale copy harmless too.
func (s *stepper) abortFrames(frames []*frame) {
	for _, c := range frames {
		if c.Phase == phaseTask {
			s.cancelTask(c)
		}
		c.Phase = ""
		s.abortFrames(c.Children)
	}
}

func (s *stepper) cancelTask(f *frame) {
	if f.Callback {
		s.expired = append(s.expired, f.TaskSeq)
	}
	if f.External {
		s.cancelled = append(s.cancelled, f.TaskSeq)
	}
}

// endExecution ends the run with a failure status.
func (s *stepper) endExecution(status, errName, cause string) {
	typ := map[string]string{
		mesh.ExecutionFailed: "ExecutionFailed", mesh.ExecutionTimedOut: "ExecutionTimedOut", mesh.ExecutionAborted: "ExecutionAborted",
	}[status]
	if s.r.st.Root != nil {
		s.abortFrames([]*frame{s.r.st.Root})
	}
	s.r.event(nil, typ, map[string]any{"error": errName, "cause": cause})
	s.finish(status, errName, cause)
}

func (s *stepper) finish(status, errName, cause string) {
	s.r.rec.Status, s.r.rec.Error, s.r.rec.Cause = status, errName, cause
	s.r.rec.StoppedAt = s.r.now
	s.r.st.Root = nil
	s.ended = true
}
