// Package workflow is meshgate's durable engine for Amazon States Language
// state machines: versioned definitions, executions, their history, timers,
// task tokens, the outbox of external tasks and the leases that let several
// replicas share the work. The interpreter itself is the pure package asl.
//
// Every transition is saved with its history events in one transaction
// before anything depends on it. In-transaction task resources run in that
// transaction (exactly once); external ones leave through the outbox (at
// least once, with a dedupe key). Timers are wake times on execution rows,
// so they survive restarts.
//
// Sharing the work: an execution is advanced only inside a transaction that
// holds its row (PostgreSQL: FOR UPDATE, SKIP LOCKED by the dispatchers; SQLite:
// the single writer), so a replica that dies mid-step loses nothing and the
// others take its executions at once. Work done outside transactions, the
// external tasks of the outbox, is leased: a row names its owner and lease
// expiry, and a dead replica's task is run again by another once the lease
// has expired. Locks are always taken execution first, then its tokens and
// outbox rows, so replicas cannot deadlock on them.
//
// Starts are group-committed: concurrent StartExecution calls share one
// transaction, in which each new execution also takes its first steps, so
// a short execution is started and finished by a single commit.
package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
	"github.com/prometheus/client_golang/prometheus"
)

// Options tune the engine. The zero value is the documented default.
type Options struct {
	// Registry holds the task resources (default DefaultRegistry).
	Registry *Registry
	// Clock is the time source (default the system clock).
	Clock mesh.Clock
	// Logger logs background failures (default slog.Default()).
	Logger *slog.Logger
	// BatchSize is how many due executions one transaction advances (default 256).
	BatchSize int
	// PollInterval bounds how long the loops sleep without news (default 1s),
	// so work other replicas queue is found.
	PollInterval time.Duration
	// Owner names this process in outbox leases (default host-pid-random).
	Owner string
	// LeaseMargin is added to an external task's timeout to form its lease (default 30s).
	LeaseMargin time.Duration
	// OutboxConcurrency bounds external tasks running at once (default 16).
	OutboxConcurrency int
}

// Engine runs state machines on a store.
type Engine struct {
	store    store.Store
	registry *Registry
	clock    mesh.Clock
	log      *slog.Logger
	opts     Options

	machines sync.Map // "name:version" → *asl.Machine
	kick     chan struct{}
	kickOut  chan struct{}
	queue    commitQueue

	hooksMu sync.RWMutex
	onEnd   []EndHook

	transitions  atomic.Int64
	startCommits atomic.Int64
	starts       atomic.Int64
	passes       atomic.Int64
	// ended counts executions ended, by status, after their commit.
	ended *prometheus.CounterVec
}

// Stats are counters of this process's engine, for metrics and load reports.
type Stats struct {
	// Transitions counts states entered.
	Transitions int64
	// Starts counts executions started, StartCommits the transactions that
	// committed them (group commit puts many starts in one).
	Starts, StartCommits int64
	// Passes counts dispatcher transactions.
	Passes int64
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{Transitions: e.transitions.Load(), Starts: e.starts.Load(), StartCommits: e.startCommits.Load(), Passes: e.passes.Load()}
}

// New returns an engine on s.
func New(s store.Store, opts Options) *Engine {
	if opts.Registry == nil {
		opts.Registry = DefaultRegistry
	}
	if opts.Clock == nil {
		opts.Clock = mesh.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		opts.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if opts.LeaseMargin <= 0 {
		opts.LeaseMargin = 30 * time.Second
	}
	if opts.OutboxConcurrency <= 0 {
		opts.OutboxConcurrency = 16
	}
	e := &Engine{
		store: s, registry: opts.Registry, clock: opts.Clock, log: opts.Logger, opts: opts,
		kick: make(chan struct{}, 1), kickOut: make(chan struct{}, 1), ended: newEndedCounter(),
	}
	e.queue.e = e
	return e
}

// EndHook runs in the transaction in which an execution ends (succeeded,
// failed, timed out or aborted), so that what a service keeps about the
// execution follows it in the same commit. It must fail only when the
// store fails: its error rolls back the transition, which is tried again.
type EndHook func(ctx context.Context, tx store.Tx, exec *mesh.Execution) error

// OnExecutionEnd adds a hook run whenever an execution ends.
func (e *Engine) OnExecutionEnd(h EndHook) {
	e.hooksMu.Lock()
	defer e.hooksMu.Unlock()
	e.onEnd = append(e.onEnd, h)
}

func (e *Engine) endHooks() []EndHook {
	e.hooksMu.RLock()
	defer e.hooksMu.RUnlock()
	return e.onEnd
}

// Registry returns the engine's task resources.
func (e *Engine) Registry() *Registry { return e.registry }

// Transitions returns the number of states entered by this process.
func (e *Engine) Transitions() int64 { return e.transitions.Load() }

func (e *Engine) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *Engine) wakeOutbox() {
	select {
	case e.kickOut <- struct{}{}:
	default:
	}
}

// machine returns a parsed state machine version, cached: versions never change.
func (e *Engine) machine(ctx context.Context, tx store.Tx, name string, version int) (*asl.Machine, error) {
	key := fmt.Sprintf("%s:%d", name, version)
	if m, ok := e.machines.Load(key); ok {
		return m.(*asl.Machine), nil
	}
	sm, err := tx.FindStateMachine(ctx, name, version)
	if err != nil {
		return nil, err
	}
	m, err := asl.Parse(sm.Definition)
	if err != nil {
		return nil, &unreadableError{fmt.Errorf("state machine %s: %w", key, err)}
	}
	e.machines.Store(key, m)
	return m, nil
}

// unreadableError is the reason the engine cannot load an execution: its
// definition or its saved state is unreadable (the parser of a later
// release may refuse a definition an earlier one took).
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }
func (e *unreadableError) Unwrap() error { return e.err }

// load prepares a stepper for an execution record in tx. Errors: the
// store's, or an *unreadableError.
func (e *Engine) load(ctx context.Context, tx store.Tx, rec *store.ExecutionRecord) (*stepper, error) {
	r := &run{rec: rec, now: e.clock.Now()}
	if !rec.Terminal() {
		m, err := e.machine(ctx, tx, rec.StateMachine, rec.Version)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, &unreadableError{err} // versions are never removed: it is lost
		}
		if err != nil {
			return nil, err
		}
		r.top = m
		if err := r.decode(); err != nil {
			return nil, &unreadableError{err}
		}
	}
	return &stepper{e: e, ctx: ctx, tx: tx, r: r}, nil
}

// loadOrBroken is load for those who must end an execution even when it
// cannot be loaded. Such an execution comes back as a stepper with nothing
// to step, which withdraws every task token and outbox entry of the
// execution when it is saved, with the reason it is broken; the caller
// ends it.
func (e *Engine) loadOrBroken(ctx context.Context, tx store.Tx, rec *store.ExecutionRecord) (s *stepper, broken, err error) {
	s, err = e.load(ctx, tx, rec)
	var u *unreadableError
	if !errors.As(err, &u) {
		return s, nil, err
	}
	e.log.Error("workflow: cannot load execution", "execution", rec.ID, "err", err)
	s = &stepper{e: e, ctx: ctx, tx: tx, r: &run{rec: rec, now: e.clock.Now()}, withdrawAll: true}
	return s, err, nil
}

// failBroken fails an execution that cannot be loaded.
func (s *stepper) failBroken(broken error) {
	s.endExecution(mesh.ExecutionFailed, asl.ErrRuntime, "the engine cannot load the execution: "+broken.Error())
}

// RunOnce advances every execution due now, up to BatchSize, in one
// transaction, and returns how many it advanced. Tests call it to step the
// engine deterministically; the dispatcher loop calls it in a loop.
func (e *Engine) RunOnce(ctx context.Context) (int, error) {
	n, _, err := e.runOnce(ctx)
	return n, err
}

// runOnce is RunOnce, also returning the time it claimed executions due by.
func (e *Engine) runOnce(ctx context.Context) (int, time.Time, error) {
	n, outbox := 0, false
	var at time.Time
	err := e.store.Update(ctx, func(tx store.Tx) error {
		n, outbox, at = 0, false, e.clock.Now()
		recs, err := tx.ClaimExecutions(ctx, at, e.opts.BatchSize)
		if err != nil {
			return err
		}
		var events []*mesh.HistoryEvent
		for _, rec := range recs {
			s, broken, err := e.loadOrBroken(ctx, tx, rec)
			if err != nil {
				return err
			}
			if broken != nil {
				// it fails alone rather than stall the batch
				s.failBroken(broken)
			}
			if err := s.advance(); err != nil {
				return err
			}
			if err := s.prepare(); err != nil {
				return err
			}
			events = append(events, s.r.events...)
			outbox = outbox || s.outbox
		}
		// one statement per hundred rows rather than several per execution
		if err := tx.UpdateExecutions(ctx, recs); err != nil {
			return err
		}
		if err := tx.InsertHistoryEvents(ctx, events); err != nil {
			return err
		}
		n = len(recs)
		return nil
	})
	if err != nil {
		return 0, at, fmt.Errorf("advance executions: %w", err)
	}
	if n > 0 {
		e.passes.Add(1)
	}
	if outbox {
		e.wakeOutbox()
	}
	return n, at, nil
}

// Drain advances executions until none is due now, for tests and the
// in-process runner.
func (e *Engine) Drain(ctx context.Context) error {
	for {
		n, err := e.RunOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// Dispatcher returns the loop that advances due executions (a server.Background).
func (e *Engine) Dispatcher() *Dispatcher { return &Dispatcher{e: e} }

// Dispatcher advances due executions until its context ends.
type Dispatcher struct{ e *Engine }

// Run loops until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	e := d.e
	backoff := 100 * time.Millisecond
	for {
		n, claimed, err := e.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			e.log.Error("workflow dispatcher", "err", err)
			if mesh.Sleep(ctx, backoff) != nil {
				return nil
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if n >= e.opts.BatchSize {
			continue
		}
		wait := e.opts.PollInterval
		var next time.Time
		if err := e.store.View(ctx, func(tx store.Tx) error {
			var err error
			next, err = tx.NextWake(ctx)
			return err
		}); err == nil && !next.IsZero() && (n > 0 || next.After(claimed)) {
			// Executions due by the claim that it left were held by other
			// transactions (PostgreSQL skips locked rows): another
			// replica's pass, a callback. Their holders advance them, or
			// release them to the next poll, and claiming again at once
			// would only spin until then.
			wait = min(wait, max(next.Sub(e.clock.Now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.kick:
		case <-t.C:
		}
		t.Stop()
	}
}
