package workflow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// TxTaskFunc is a task resource that changes only meshgate's own data. It
// runs inside the transaction that records the transition, so its effect
// happens exactly once: if the transaction rolls back, so does the effect.
// A failed task's changes are rolled back to a savepoint. Return a
// *TaskError to name the error Retry and Catch match on.
type TxTaskFunc func(ctx context.Context, tx store.Tx, input any) (any, error)

// ExternalTaskFunc is a task resource with effects outside meshgate (HTTP,
// email, webhooks). It runs after the transition commits, through the
// transactional outbox, at least once: a crash between its effect and the
// record of its result runs it again with the same dedupe key (in
// TaskMeta). It must honour ctx's deadline.
type ExternalTaskFunc func(ctx context.Context, input any, meta TaskMeta) (any, error)

// TaskMeta describes one attempt of an external task.
type TaskMeta struct {
	// DedupeKey is the same for every delivery of one attempt: execution,
	// state and attempt. Receivers use it to drop duplicates.
	DedupeKey   string
	ExecutionID string
}

// TaskError is a task failure with the error name Retry and Catch match on.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// Errorf returns a *TaskError named name.
func Errorf(name, format string, args ...any) *TaskError {
	return &TaskError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// stateError turns a task's error into the interpreter's form: a *TaskError
// keeps its name, anything else is States.TaskFailed.
func stateError(err error) asl.StateError {
	var te *TaskError
	if errors.As(err, &te) {
		return asl.StateError{Name: te.Name, Cause: te.Cause}
	}
	var se *asl.StateError
	if errors.As(err, &se) {
		return *se
	}
	return asl.StateError{Name: asl.ErrTaskFailed, Cause: err.Error()}
}

// CallbackSuffix marks a Task resource that waits for its task token.
const CallbackSuffix = ".waitForTaskToken"

// Registry maps task resource URIs to their functions.
type Registry struct {
	mu       sync.RWMutex
	tx       map[string]TxTaskFunc
	atomic   map[string]bool
	external map[string]ExternalTaskFunc
	// protected resources' tasks are answered only in-process
	protected map[string]bool
	// redact gives the form of a resource's parameters the history keeps
	redact map[string]func(params any) any
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{tx: map[string]TxTaskFunc{}, atomic: map[string]bool{}, external: map[string]ExternalTaskFunc{}, protected: map[string]bool{},
		redact: map[string]func(any) any{}}
}

// DefaultRegistry is the registry servers use; packages register their
// resources in it from init functions or at assembly.
var DefaultRegistry = NewRegistry()

// Register adds an in-transaction resource to DefaultRegistry.
func Register(uri string, fn TxTaskFunc) { DefaultRegistry.Register(uri, fn) }

// RegisterExternal adds an external resource to DefaultRegistry.
func RegisterExternal(uri string, fn ExternalTaskFunc) { DefaultRegistry.RegisterExternal(uri, fn) }

// Register adds an in-transaction resource. Registering a URI again
// replaces its function (servers assembled again in one process, as tests
// do, register again). It panics on an empty URI or one with the callback
// suffix, which are programming errors.
func (r *Registry) Register(uri string, fn TxTaskFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replace(uri)
	r.tx[uri], r.atomic[uri] = fn, false
}

// RegisterAtomic adds an in-transaction resource whose function changes
// the store in at most one statement, so that a failure leaves nothing to
// undo: it runs without the savepoint Register's resources get. Its
// function fails the task only with a *TaskError; any other error is taken
// for the store's own failure, which may have aborted the transaction
// (PostgreSQL), and fails the whole transition, to be run again. A
// statement that may fail on its input must check the input first.
func (r *Registry) RegisterAtomic(uri string, fn TxTaskFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replace(uri)
	r.tx[uri], r.atomic[uri] = fn, true
}

// RegisterExternal adds an external resource; see Register.
func (r *Registry) RegisterExternal(uri string, fn ExternalTaskFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replace(uri)
	r.external[uri] = fn
}

// replace checks uri and forgets what it named before.
func (r *Registry) replace(uri string) {
	if uri == "" || strings.HasSuffix(uri, CallbackSuffix) {
		panic(fmt.Sprintf("workflow: invalid task resource %q", uri))
	}
	delete(r.tx, uri)
	delete(r.atomic, uri)
	delete(r.external, uri)
	delete(r.protected, uri)
	delete(r.redact, uri)
}

// Protect marks a registered resource whose callback tasks only its own
// service may answer (SucceedTaskTx, FailTaskTx): the generic task calls
// (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) refuse them with
// EFORBIDDEN, so that holding a task token is not enough to decide.
func (r *Registry) Protect(uri string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.protected[uri] = true
}

// RedactParameters sets how the history shows a registered resource's
// parameters (the TaskScheduled event): fn returns a copy without what
// only the task may read, such as an HTTP task's URL path and query and
// its headers' values. The history is read by more people than the state
// machine's definition (a request's requester and approvers read its
// timeline), and it is kept and exported for as long as the execution.
// The task itself still gets its parameters whole: the engine never reads
// them back from the history (a retry computes them again from the state's
// input, and an external task's are kept in its outbox row).
func (r *Registry) RedactParameters(uri string, fn func(params any) any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.redact[uri] = fn
}

// shownParameters returns a resource's parameters as the history shows them.
func (r *Registry) shownParameters(resource string, params any) any {
	base, _ := strings.CutSuffix(resource, CallbackSuffix)
	r.mu.RLock()
	fn := r.redact[base]
	r.mu.RUnlock()
	if fn == nil {
		return params
	}
	return fn(params)
}

// Protected reports whether a resource (with or without the callback suffix) is protected.
func (r *Registry) Protected(resource string) bool {
	base, _ := strings.CutSuffix(resource, CallbackSuffix)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.protected[base]
}

// lookup returns the functions of a resource (its callback suffix removed).
func (r *Registry) lookup(resource string) (txFn TxTaskFunc, extFn ExternalTaskFunc, callback bool) {
	txFn, extFn, callback, _ = r.lookupAtomic(resource)
	return txFn, extFn, callback
}

func (r *Registry) lookupAtomic(resource string) (txFn TxTaskFunc, extFn ExternalTaskFunc, callback, atomic bool) {
	base, callback := strings.CutSuffix(resource, CallbackSuffix)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.tx[base], r.external[base], callback, r.atomic[base]
}

// Has reports whether a resource (with or without the callback suffix) is registered.
func (r *Registry) Has(resource string) bool {
	t, e, _ := r.lookup(resource)
	return t != nil || e != nil
}

// Resources lists the registered resource URIs.
func (r *Registry) Resources() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for k := range r.tx {
		out = append(out, k)
	}
	for k := range r.external {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
