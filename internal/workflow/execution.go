package workflow

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// StartInput starts an execution.
type StartInput struct {
	StateMachine string
	// Version picks a version; 0 means the latest. A version of a deleted
	// state machine is not found.
	Version int
	// Name is optional and unique per state machine: starting again with the
	// same name and input returns the existing execution; another input is
	// a conflict.
	Name  string
	Input json.RawMessage
	// Prepare, when set, runs in the start's transaction once the new
	// execution has its id, before its first step, so that what a service
	// records about the execution commits (or rolls back) with its start,
	// with no transaction of its own. It sees the execution as it will be
	// inserted and returns the input to run with (input itself to keep it). A *mesh.Error it returns (other than
	// EINTERNAL) fails this start alone and must leave no write behind;
	// any other error fails the batch, which is rolled back. A batch run
	// again runs Prepare again.
	Prepare func(ctx context.Context, tx store.Tx, exec *mesh.Execution, input any) (any, error)
}

// inlineSteps bounds the states a start enters in its own transaction;
// the dispatcher takes longer executions from there.
const inlineSteps = 50

// maxExecutionName is Step Functions' limit on execution names.
const maxExecutionName = 80

// newID returns a UUIDv7: time-ordered, so new executions and their
// history land at the end of the store's indexes rather than all over them.
func newID(now time.Time) string {
	b := make([]byte, 16)
	rand.Read(b)
	ms := uint64(now.UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// StartExecution starts an execution of a state machine. It returns the
// execution and whether it existed already (same name and input). Concurrent
// starts share one transaction (group commit); each returns only after that
// transaction committed. Errors: EINVALID (bad name, version or input),
// ETOOLARGE (input over 256 KiB), ENOTFOUND (state machine, or a version
// of a deleted one), ECONFLICT (name taken with another input).
func (e *Engine) StartExecution(ctx context.Context, in StartInput) (*mesh.Execution, bool, error) {
	if len(in.Input) == 0 {
		in.Input = json.RawMessage("{}")
	}
	if len(in.Input) > MaxPayloadSize {
		return nil, false, &mesh.Error{Code: mesh.ETOOLARGE, Field: "input",
			Message: fmt.Sprintf("the input has %d bytes, more than the limit of %d", len(in.Input), MaxPayloadSize)}
	}
	v, err := asl.ParseJSON(in.Input)
	if err != nil {
		return nil, false, mesh.Invalid("input", "is not valid JSON: %v", err)
	}
	canon, err := asl.MarshalJSON(v)
	if err != nil {
		return nil, false, mesh.Invalid("input", "%v", err)
	}
	if err := mesh.ValidateName("state_machine", in.StateMachine); err != nil {
		return nil, false, err
	}
	if in.Version < 0 {
		return nil, false, mesh.Invalid("version", "must be 1 or more, or 0 for the latest")
	}
	if in.Name != "" {
		if len(in.Name) > maxExecutionName {
			return nil, false, mesh.Invalid("name", "is longer than %d characters", maxExecutionName)
		}
		for _, c := range in.Name {
			if c < 0x21 || c == 0x7f || bytes.ContainsRune([]byte(`<>{}[]?*"#%\^|~`+"`$&,;:/"), c) {
				return nil, false, mesh.Invalid("name", "may not hold whitespace, control characters or any of <>{}[]?*\"#%%\\^|~`$&,;:/")
			}
		}
		if bad := mesh.CheckDisplayText(in.Name); bad != "" {
			return nil, false, mesh.Invalid("name", "must not hold %s", bad)
		}
	}
	in.Input = canon
	req := &startRequest{ctx: ctx, in: in, input: v, done: make(chan struct{})}
	e.queue.submit(req)
	return req.exec, req.existed, req.err
}

type startRequest struct {
	ctx context.Context
	in  StartInput
	// input is in.Input parsed, once, before the batch's transaction; the
	// interpreter never changes a value in place, so a retried batch reuses it
	input   any
	exec    *mesh.Execution
	existed bool
	err     error
	done    chan struct{}

	// set while the batch commits
	rec *store.ExecutionRecord
	run *run
	dup *startRequest // an earlier request of the batch with the same name and input
}

// commitQueue gathers concurrent starts into one transaction: while one
// batch commits, the next gathers. A committer goroutine runs while there
// is work and stops when the queue is empty.
type commitQueue struct {
	e       *Engine
	mu      sync.Mutex
	pending []*startRequest
	busy    bool
}

const maxStartBatch = 512

// StartsWaiting returns how many starts wait for a batch of their own: a
// batch is under way, and they go in the next.
func (e *Engine) StartsWaiting() int {
	e.queue.mu.Lock()
	defer e.queue.mu.Unlock()
	return len(e.queue.pending)
}

// submit queues req and returns once its batch has committed (or failed).
func (q *commitQueue) submit(req *startRequest) {
	q.mu.Lock()
	q.pending = append(q.pending, req)
	if !q.busy {
		q.busy = true
		go q.drain()
	}
	q.mu.Unlock()
	<-req.done
}

func (q *commitQueue) drain() {
	q.mu.Lock()
	for len(q.pending) > 0 {
		n := min(len(q.pending), maxStartBatch)
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		q.mu.Unlock()
		q.e.commitStarts(batch)
		for _, r := range batch {
			close(r.done)
		}
		q.mu.Lock()
	}
	q.busy = false
	q.mu.Unlock()
}

// errStartRace reports that another replica took an execution name
// between the check and the insert of a start batch.
var errStartRace = errors.New("a concurrent start took an execution name")

// commitStarts starts a batch of executions in one transaction, each taking
// its first steps there too. Executions are inserted once, after those
// steps; should another replica take one of the names meanwhile, the batch
// is rolled back and done again inserting first.
func (e *Engine) commitStarts(batch []*startRequest) {
	now := e.clock.Now()
	outbox, err := e.commitStartBatch(batch, now, false)
	for try := 0; try < 5 && (errors.Is(err, errStartRace) || e.store.Transient(err)); try++ {
		outbox, err = e.commitStartBatch(batch, now, true)
	}
	if err != nil {
		for _, r := range batch {
			r.exec, r.err = nil, fmt.Errorf("start execution: %w", err)
		}
		return
	}
	// Executions that ended in their first steps leave the dispatcher
	// nothing to do: waking it for them would cost a claim that finds none.
	running := false
	for _, r := range batch {
		if r.dup != nil {
			r.exec, r.existed, r.err = r.dup.exec, r.dup.err == nil, r.dup.err
		}
		running = running || (r.err == nil && r.rec != nil && !r.rec.Terminal())
	}
	e.startCommits.Add(1)
	e.starts.Add(int64(len(batch)))
	if outbox {
		e.wakeOutbox()
	}
	if running {
		e.wake()
	}
}

func (e *Engine) commitStartBatch(batch []*startRequest, now time.Time, insertFirst bool) (outbox bool, err error) {
	bg := context.Background()
	err = e.store.Update(bg, func(tx store.Tx) error {
		outbox = false
		versions := map[string]*mesh.StateMachine{}
		names := map[string]*startRequest{}
		var fresh []*startRequest
		for _, r := range batch {
			r.exec, r.existed, r.err, r.rec, r.run, r.dup = nil, false, nil, nil, nil, nil
			if r.ctx.Err() != nil {
				r.err = r.ctx.Err()
				continue
			}
			if err := e.prepareStart(r, tx, now, versions, names); err != nil {
				if mesh.ErrorCode(err) == mesh.EINTERNAL {
					return err
				}
				r.err = err
				continue
			}
			if r.rec != nil {
				fresh = append(fresh, r)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		// one order for every batch, so concurrent inserts of one name wait
		// for each other instead of deadlocking
		slices.SortFunc(fresh, func(a, b *startRequest) int {
			return cmp.Or(strings.Compare(a.rec.StateMachine, b.rec.StateMachine), strings.Compare(a.rec.Name, b.rec.Name))
		})
		if insertFirst {
			recs := make([]*store.ExecutionRecord, len(fresh))
			for i, r := range fresh {
				if err := r.run.encode(); err != nil {
					return err
				}
				recs[i] = r.rec
			}
			inserted, err := tx.InsertExecutions(bg, recs)
			if err != nil {
				return err
			}
			kept := fresh[:0]
			for _, r := range fresh {
				if inserted[r.rec.ID] {
					kept = append(kept, r)
					continue
				}
				r.exec, r.err = nil, &mesh.Error{Code: mesh.ECONFLICT, Field: "name",
					Message: fmt.Sprintf("execution %q of state machine %q was started concurrently", r.in.Name, r.in.StateMachine)}
			}
			fresh = kept
		}
		var events []*mesh.HistoryEvent
		recs := make([]*store.ExecutionRecord, 0, len(fresh))
		for _, r := range fresh {
			if err := store.Audit(context.WithoutCancel(r.ctx), tx, now, "workflow.execution.start", "execution/"+r.rec.ID, r.rec.StateMachine); err != nil {
				return err
			}
			// Take the first steps in this transaction: a short execution
			// ends in the commit that starts it, with no second write.
			st := &stepper{e: e, ctx: context.WithoutCancel(r.ctx), tx: tx, r: r.run, limit: inlineSteps}
			if err := st.advance(); err != nil {
				return err
			}
			if err := st.prepare(); err != nil {
				return err
			}
			outbox = outbox || st.outbox
			events = append(events, r.run.events...)
			recs = append(recs, r.rec)
		}
		if insertFirst {
			if err := tx.UpdateExecutions(bg, recs); err != nil {
				return err
			}
		} else {
			inserted, err := tx.InsertExecutions(bg, recs)
			if err != nil {
				return err
			}
			if len(inserted) != len(recs) {
				return errStartRace
			}
		}
		return tx.InsertHistoryEvents(bg, events)
	})
	return outbox, err
}

// prepareStart checks a start request in tx and builds its execution; for
// an existing execution of the same name and input it sets r.exec instead.
func (e *Engine) prepareStart(r *startRequest, tx store.Tx, now time.Time, versions map[string]*mesh.StateMachine, names map[string]*startRequest) error {
	// the request may go away; the batch it shares with others must not
	ctx, in := context.WithoutCancel(r.ctx), r.in
	key := fmt.Sprintf("%s:%d", in.StateMachine, in.Version)
	sm := versions[key]
	if sm == nil {
		var err error
		if sm, err = tx.FindStateMachine(ctx, in.StateMachine, in.Version); err != nil {
			return err
		}
		if sm.Deleted {
			// the store finds deleted versions, for their executions
			return mesh.Errorf(mesh.ENOTFOUND, "state machine %q was deleted: version %d cannot be started", in.StateMachine, in.Version)
		}
		versions[key] = sm
	}
	if in.Name != "" {
		nk := in.StateMachine + "\x00" + in.Name
		if other := names[nk]; other != nil {
			// the same name twice in one batch
			if !bytes.Equal(other.in.Input, in.Input) {
				return &mesh.Error{Code: mesh.ECONFLICT, Field: "name",
					Message: fmt.Sprintf("execution %q of state machine %q exists already with another input", in.Name, in.StateMachine)}
			}
			r.dup = other
			return nil
		}
		old, err := tx.FindExecutionByName(ctx, in.StateMachine, in.Name)
		if err == nil {
			if !bytes.Equal(old.Input, in.Input) {
				return &mesh.Error{Code: mesh.ECONFLICT, Field: "name",
					Message: fmt.Sprintf("execution %q of state machine %q exists already with another input", in.Name, in.StateMachine)}
			}
			r.exec, r.existed = &old.Execution, true
			return nil
		}
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			return err
		}
		names[nk] = r
	}
	m, err := e.machine(ctx, tx, sm.Name, sm.Version)
	if err != nil {
		return err
	}
	id := newID(now)
	name := in.Name
	if name == "" {
		name = id
	}
	d := MaxDuration
	if m.TimeoutSeconds > 0 {
		d = min(d, time.Duration(m.TimeoutSeconds)*time.Second)
	}
	rec := &store.ExecutionRecord{
		Execution: mesh.Execution{
			ID: id, Name: name, StateMachine: sm.Name, Version: sm.Version, Status: mesh.ExecutionRunning,
			Input: in.Input, StartedAt: now, Deadline: now.Add(d), StartedBy: mesh.ActorFromContext(ctx).Principal(),
		},
	}
	input := r.input
	if in.Prepare != nil {
		v, err := in.Prepare(ctx, tx, &rec.Execution, input)
		if err != nil {
			return err
		}
		if rec.Input, err = asl.MarshalJSON(v); err != nil {
			return err
		}
		input = v
	}
	r0 := &run{rec: rec, now: now, top: m, input: input}
	r0.st.Root = &frame{State: m.StartAt, Input: Value{input}, Phase: phaseEnter, machine: m}
	r0.event(nil, "ExecutionStarted", map[string]any{"input": input, "stateMachine": sm.Name, "version": int64(sm.Version)})
	r0.st.Root.LastEvent = r0.rec.Events
	r.rec, r.exec, r.run = rec, &rec.Execution, r0
	return nil
}

// FindExecution returns an execution. Errors: ENOTFOUND.
func (e *Engine) FindExecution(ctx context.Context, id string) (*mesh.Execution, error) {
	var out *mesh.Execution
	err := e.store.View(ctx, func(tx store.Tx) error {
		rec, err := tx.FindExecution(ctx, id)
		if err == nil {
			out = &rec.Execution
		}
		return err
	})
	return out, err
}

// FindExecutions lists executions, newest first. Errors: EINVALID (status).
func (e *Engine) FindExecutions(ctx context.Context, f store.ExecutionFilter) ([]*mesh.Execution, error) {
	if f.Status != "" && !mesh.ValidExecutionStatus(f.Status) {
		return nil, mesh.Invalid("status", "must be RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
	}
	var out []*mesh.Execution
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.FindExecutions(ctx, f)
		return err
	})
	return out, err
}

// History returns an execution's events after afterID, at most limit (default and maximum 1000).
// Errors: ENOTFOUND.
func (e *Engine) History(ctx context.Context, id string, afterID, limit int) ([]*mesh.HistoryEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []*mesh.HistoryEvent
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		if out, err = tx.FindHistoryEvents(ctx, id, afterID, limit); err != nil || len(out) > 0 {
			return err
		}
		// events exist only with their execution: look it up only to tell
		// an unknown id from a history read to its end
		_, err = tx.FindExecution(ctx, id)
		return err
	})
	return out, err
}

// StopExecution aborts a running execution, recording ExecutionAborted with
// the given error and cause. Errors: ENOTFOUND, ECONFLICT (already ended).
func (e *Engine) StopExecution(ctx context.Context, id, errName, cause string) (*mesh.Execution, error) {
	var out *mesh.Execution
	err := e.store.Update(ctx, func(tx store.Tx) error {
		var err error
		out, err = e.StopExecutionTx(ctx, tx, id, errName, cause)
		return err
	})
	return out, err
}

// checkErrorCause checks the error name and cause a caller gives an
// execution's end: bounded, and text every store keeps (no NUL or other
// control characters but tab and line breaks, UTF-8). Errors: EINVALID.
func checkErrorCause(errName, cause string) error {
	if len(errName) > 256 {
		return mesh.Invalid("error", "is limited to 256 characters")
	}
	if len(cause) > 32768 {
		return mesh.Invalid("cause", "is limited to 32768 characters")
	}
	if err := mesh.CheckText("error", errName); err != nil {
		return err
	}
	return mesh.CheckText("cause", cause)
}

// StopExecutionTx is StopExecution in the caller's transaction, for a
// service that records why it stopped the execution in the same commit.
func (e *Engine) StopExecutionTx(ctx context.Context, tx store.Tx, id, errName, cause string) (*mesh.Execution, error) {
	if err := checkErrorCause(errName, cause); err != nil {
		return nil, err
	}
	rec, err := tx.LockExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Terminal() {
		return nil, mesh.Errorf(mesh.ECONFLICT, "execution %s has already ended with status %s", id, rec.Status)
	}
	s, _, err := e.loadOrBroken(ctx, tx, rec)
	if err != nil {
		return nil, err
	}
	s.endExecution(mesh.ExecutionAborted, errName, cause)
	if err := s.save(); err != nil {
		return nil, err
	}
	return &rec.Execution, store.Audit(ctx, tx, s.r.now, "workflow.execution.stop", "execution/"+id, errName)
}
