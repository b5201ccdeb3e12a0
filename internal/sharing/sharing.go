// Package sharing is meshgate's data-sharing workflow: access requests,
// their approvals, and the default state machine that runs each request on
// the workflow engine, with the task resources it calls.
//
// A request is recorded in the transaction that starts its execution (the
// engine's Prepare hook), so starts keep their group commit. The state
// machine's tasks run inside the engine's transitions: the catalog lookup,
// the grant and share (through the access service's transaction variants),
// and the approval, a .waitForTaskToken task whose token only this package
// answers (the resource is protected: the generic task API refuses it). The
// request's status follows the execution in the same transactions: the
// tasks set PENDING_APPROVAL and SHARED, and the engine's end hook sets
// DENIED, EXPIRED or FAILED from how the execution ended.
//
// Time-bound access ends through a sweep (Run) that revokes expired grants
// every Config.ExpiryInterval (default one second): grants carry no expiry
// of their own, so a decision may allow for at most that long past expiry.
package sharing

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

// Task resource URIs of the data-sharing state machine.
const (
	// ResourceCatalogDetails returns data_owner, has_pii and pii_columns of the requested product.
	ResourceCatalogDetails = "meshgate:sharing:catalog-details"
	// ResourceShare grants the requested permissions to the target account and shares the product.
	ResourceShare = "meshgate:sharing:share"
	// ResourceApproval records an approval and waits for the owning account's decision.
	ResourceApproval = "meshgate:sharing:approval"
)

// DefaultStateMachine is the name of the data-sharing state machine.
const DefaultStateMachine = "data-sharing"

// Defaults of Config.
const (
	DefaultApprovalTimeout = 7 * 24 * time.Hour
	// MinApprovalTimeout and MaxApprovalTimeout bound an approval's wait:
	// the state machine waits whole seconds, at most 99,999,999 (ASL's
	// TimeoutSeconds).
	MinApprovalTimeout    = time.Second
	MaxApprovalTimeout    = 99_999_999 * time.Second
	DefaultExpiryInterval = time.Second
	DefaultExpiryWarning  = 24 * time.Hour
	// MaxDuration bounds a requested duration.
	MaxDuration = 10 * 365 * 24 * time.Hour
)

// Definition is the default data-sharing state machine.
//
//go:embed statemachine.json
var Definition []byte

// Config tunes the service. The zero value is the documented default.
type Config struct {
	// CentralAccountID is the server's own account; its system actor grants.
	CentralAccountID string
	// StateMachine names the state machine requests run (default "data-sharing").
	StateMachine string
	// ApprovalTimeout is how long an approval waits for a decision (default
	// 7 days; kept within MinApprovalTimeout and MaxApprovalTimeout).
	ApprovalTimeout time.Duration
	// ExpiryInterval is how often expired time-bound access is revoked (default 1s).
	ExpiryInterval time.Duration
	// Logger logs background failures (default slog.Default()).
	Logger *slog.Logger
	// Notify delivers the workflow's messages (approval requests, outcomes,
	// invitations, expiry warnings) by email and webhook; nil keeps them in
	// the request's notification history only.
	Notify *notify.Service
	// ExpiryWarning is how long before a time-bound grant ends its
	// requester is warned (default 24h; negative: no warning).
	ExpiryWarning time.Duration
}

// Service runs access requests and approvals.
type Service struct {
	store  store.Store
	clock  mesh.Clock
	cfg    Config
	engine *workflow.Engine
	access *access.Service
	system *mesh.Actor
	log    *slog.Logger
	// warned holds the requests warned of their end (id → end), sparing
	// the sweep a look at their history.
	warned sync.Map
	// planner previews platform statements in approvals (nil: none).
	planner Planner
	// decisions group-commits approvals and denials.
	decisions *decisionQueue
	// starting follows requests through the transactions that start them.
	starting startingRequests
	// requests counts the statuses requests reach (metrics.go).
	requests requestCounter
	// rowLocks: the store's transactions lock rows one by one
	// (PostgreSQL), so a request holds the accounts of its product
	// (heldProduct); SQLite's one writer orders them without it.
	rowLocks bool
}

// New returns the service and registers its task resources and its end
// hook with the engine.
func New(s store.Store, clock mesh.Clock, cfg Config, engine *workflow.Engine, acc *access.Service) *Service {
	if cfg.StateMachine == "" {
		cfg.StateMachine = DefaultStateMachine
	}
	if cfg.ApprovalTimeout <= 0 {
		cfg.ApprovalTimeout = DefaultApprovalTimeout
	}
	cfg.ApprovalTimeout = min(max(cfg.ApprovalTimeout, MinApprovalTimeout), MaxApprovalTimeout)
	if cfg.ExpiryInterval <= 0 {
		cfg.ExpiryInterval = DefaultExpiryInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ExpiryWarning == 0 {
		cfg.ExpiryWarning = DefaultExpiryWarning
	}
	svc := &Service{store: s, clock: clock, cfg: cfg, engine: engine, access: acc, system: mesh.SystemActor(cfg.CentralAccountID), log: cfg.Logger}
	_, svc.rowLocks = store.As[store.RowLocking](s)
	svc.decisions = &decisionQueue{s: svc}
	svc.requests = newRequestCounter()
	svc.starting.precision = store.TimePrecision(s.Dialect())
	reg := engine.Registry()
	reg.RegisterAtomic(ResourceCatalogDetails, svc.catalogDetails)
	reg.Register(ResourceShare, svc.shareTask)
	reg.Register(ResourceApproval, svc.approvalTask)
	reg.Protect(ResourceApproval)
	engine.OnExecutionEnd(svc.executionEnded)
	acc.OnGrantEnd(svc.grantEnded)
	if cfg.Notify != nil {
		cfg.Notify.GuardLinks(linkPurpose, svc.linkWithheld)
	}
	return svc
}

// Config returns the service's configuration with its defaults applied.
func (s *Service) Config() Config { return s.cfg }

// EnsureStateMachine creates the default state machine when it is missing
// (a replaced one is left as it is). Servers call it at start.
func (s *Service) EnsureStateMachine(ctx context.Context) error {
	ctx = mesh.NewContext(ctx, s.system)
	_, err := s.engine.FindStateMachine(ctx, s.cfg.StateMachine, 0)
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		return err
	}
	_, err = s.engine.CreateStateMachine(ctx, workflow.StateMachineInput{Name: s.cfg.StateMachine,
		Description: "the data-sharing workflow: catalog lookup, approval of personal data, grant and share",
		Definition:  json.RawMessage(Definition)})
	if mesh.IsCode(err, mesh.ECONFLICT) {
		return nil // another replica made it
	}
	return err
}

// systemCtx carries the system actor, which the workflow's grants and
// revocations act as, keeping ctx's deadline and values, and the request id
// and address of the call it acts for: its audit entries join the caller's.
func (s *Service) systemCtx(ctx context.Context) context.Context {
	a := mesh.ActorFromContext(ctx)
	if a == nil || (a.RequestID == "" && a.RemoteAddr == "") {
		return mesh.NewContext(ctx, s.system)
	}
	sys := *s.system
	sys.RequestID, sys.RemoteAddr = a.RequestID, a.RemoteAddr
	return mesh.NewContext(ctx, &sys)
}

// update runs fn in a transaction, retried when the store broke a conflict.
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return store.UpdateRetrying(ctx, s.store, fn)
}

// notify records a notification in the request's history and queues its
// delivery (notify.go).
func (s *Service) notify(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, account, recipient, event, subject, body string) error {
	return s.notifyWith(ctx, tx, r, nil, account, recipient, event, subject, body)
}

// notifyWith is notify for an approval request with its approval, which its
// messages' links name (nil: read when needed).
func (s *Service) notifyWith(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, ap *mesh.Approval, account, recipient, event, subject, body string) error {
	n := &mesh.Notification{AccountID: account, Recipient: recipient, Event: event,
		RequestID: r.ID, Subject: subject, Body: body, CreatedAt: s.clock.Now()}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return err
	}
	return s.deliver(ctx, tx, r, n, ap)
}

func requester(r *mesh.AccessRequest) string { return r.RequesterAccount + "/" + r.RequesterUser }

// madeBy reports whether a made r: nobody decides a request they made.
func madeBy(a *mesh.Actor, r *mesh.AccessRequest) bool {
	return a != nil && a.AccountID == r.RequesterAccount && a.Username == r.RequesterUser
}

func requestResource(r *mesh.AccessRequest) string { return "request/" + itoa(r.ID) }

func what(r *mesh.AccessRequest) string {
	if r.Table == mesh.AllTables {
		return "database " + r.Database
	}
	return "table " + r.Database + "." + r.Table
}
