package sharing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

const (
	central  = "central"
	producer = "111122223333" // owns sales (a pii_flag), marketing (none) and hr (a column flag)
	consumer = "222233334444" // outside the organization: shares wait for an invitation
	sibling  = "333344445555" // in the organization: shares are active at once
	org      = "o-mesh"
)

// fixture is the sharing service on a real store, with the real catalog,
// access service and engine, and a fake clock.
type fixture struct {
	t      testing.TB
	ctx    context.Context
	store  store.Store
	clock  *mesh.FakeClock
	engine *workflow.Engine
	access *access.Service
	svc    *sharing.Service
	notify *notify.Service
	// catalog is the first replica's catalog, whose deletes and owner
	// changes reach the sharing and access services.
	catalog *catalog.Service

	mu     sync.Mutex
	tokens map[int64]string // approval task tokens by request id, seen by a wrapper
}

func as(account, user string, roles ...string) context.Context {
	return mesh.NewContext(context.Background(), &mesh.Actor{Username: user, AccountID: account, Roles: roles, CentralAccountID: central})
}

var (
	meshAdmin      = as(central, "admin", mesh.RoleAdmin)
	producerAdmin  = as(producer, "padmin", mesh.RoleAdmin)
	approver       = as(producer, "sam", mesh.RoleApprover)
	approver2      = as(producer, "tom", mesh.RoleApprover)
	producerMember = as(producer, "pat", mesh.RoleMember)
	consumerAnn    = as(consumer, "ann", mesh.RoleMember)
	consumerBob    = as(consumer, "bob", mesh.RoleMember)
	consumerAdmin  = as(consumer, "cadmin", mesh.RoleAdmin)
	siblingCarl    = as(sibling, "carl", mesh.RoleMember)
)

type accounts struct{}

func (accounts) AccountOrganization(ctx context.Context, tx store.Tx, id string) (string, error) {
	a, err := tx.FindAccountByID(ctx, id)
	if err != nil {
		return "", err
	}
	return a.Organization, nil
}

func (accounts) CheckUser(ctx context.Context, tx store.Tx, id, username string) error { return nil }

func col(name string, pii bool) mesh.Column {
	c := mesh.Column{Name: name, Type: "string"}
	if pii {
		c.Parameters = map[string]string{mesh.ParamPIIFlag: " TRUE "}
	}
	return c
}

func newFixture(t testing.TB, s store.Store) *fixture {
	t.Helper()
	return newFixtureNotify(t, s, nil)
}

// newFixtureNotify is newFixture with the workflow's messages delivered
// through n (nil: kept in the history only).
func newFixtureNotify(t testing.TB, s store.Store, n *notify.Service) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := mesh.NewFakeClock(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, a := range []*mesh.Account{{ID: central, Name: "Central", Organization: org}, {ID: producer, Name: "Sales", Organization: org},
			{ID: consumer, Name: "Analytics", Organization: "o-other"}, {ID: sibling, Name: "Finance", Organization: org}} {
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		dbs := []*mesh.Database{
			{Name: "sales", Parameters: map[string]string{mesh.ParamDataOwner: producer, mesh.ParamPIIFlag: "true"}},
			{Name: "marketing", Parameters: map[string]string{mesh.ParamDataOwner: producer, mesh.ParamPIIFlag: "false"}},
			{Name: "hr", Parameters: map[string]string{mesh.ParamDataOwner: producer}},
			{Name: "orphan"},
		}
		for _, d := range dbs {
			if err := tx.CreateDatabase(ctx, d); err != nil {
				return err
			}
		}
		tables := []*mesh.Table{
			{DatabaseName: "sales", Name: "orders", Columns: []mesh.Column{col("id", false), col("email", true)}},
			{DatabaseName: "marketing", Name: "campaigns", Columns: []mesh.Column{col("id", false), col("reach", false)}},
			{DatabaseName: "hr", Name: "people", Columns: []mesh.Column{col("id", false), col("salary", true)}},
			{DatabaseName: "hr", Name: "teams", Columns: []mesh.Column{col("id", false)}},
			{DatabaseName: "orphan", Name: "things", Columns: []mesh.Column{col("id", false)}},
		}
		for _, tb := range tables {
			if err := tx.CreateTable(ctx, tb); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	f := &fixture{t: t, ctx: ctx, store: s, clock: clock, notify: n}
	f.engine, f.access, f.svc = f.services()
	// see the approval tasks' tokens, which the history no longer shows
	approval := f.svc.ApprovalTask()
	f.tokens = map[int64]string{}
	reg := f.engine.Registry()
	reg.Register(sharing.ResourceApproval, func(ctx context.Context, tx store.Tx, input any) (any, error) {
		in, _ := input.(map[string]any)
		id, _ := in["request_id"].(int64)
		tok, _ := in["token"].(string)
		f.mu.Lock()
		f.tokens[id] = tok
		f.mu.Unlock()
		return approval(ctx, tx, input)
	})
	reg.Protect(sharing.ResourceApproval)
	return f
}

// services assembles the services on the fixture's store, as another
// replica would.
func (f *fixture) services() (*workflow.Engine, *access.Service, *sharing.Service) {
	f.t.Helper()
	cat := catalog.NewService(f.store, f.clock)
	acc := access.NewService(f.store, f.clock, access.Config{CentralAccountID: central, Organization: org}, cat, accounts{})
	if f.catalog == nil {
		f.catalog = cat
	}
	if err := acc.Load(f.ctx); err != nil {
		f.t.Fatalf("load access: %v", err)
	}
	engine := workflow.New(f.store, workflow.Options{Registry: workflow.NewRegistry(), Clock: f.clock})
	svc := sharing.New(f.store, f.clock, sharing.Config{CentralAccountID: central, Notify: f.notify}, engine, acc)
	// as the server registers them: sharing's first
	cat.OnDelete(svc.OnCatalogDelete)
	cat.OnDelete(acc.OnCatalogDelete)
	cat.OnOwnerChange(svc.OnOwnerChange)
	cat.OnOwnerChange(acc.OnOwnerChange)
	if err := svc.EnsureStateMachine(f.ctx); err != nil {
		f.t.Fatalf("state machine: %v", err)
	}
	return engine, acc, svc
}

func (f *fixture) request(ctx context.Context, db, table string, mod ...func(*sharing.RequestInput)) *mesh.AccessRequest {
	f.t.Helper()
	in := sharing.RequestInput{Database: db, Table: table, Justification: "the quarterly report"}
	for _, m := range mod {
		m(&in)
	}
	r, created, err := f.svc.CreateRequest(ctx, in)
	if err != nil {
		f.t.Fatalf("request %s.%s: %v", db, table, err)
	}
	if !created {
		f.t.Fatalf("request %s.%s: got an existing request %d, want a new one", db, table, r.ID)
	}
	return r
}

func (f *fixture) get(id int64) *sharing.RequestView {
	f.t.Helper()
	v, err := f.svc.FindRequest(meshAdmin, id)
	if err != nil {
		f.t.Fatalf("find request %d: %v", id, err)
	}
	return v
}

func (f *fixture) wantStatus(id int64, status string) *sharing.RequestView {
	f.t.Helper()
	v := f.get(id)
	if v.Status != status {
		f.t.Fatalf("request %d: got status %v, want %v (error %s: %s)", id, v.Status, status, v.Error, v.Cause)
	}
	return v
}

func (f *fixture) allowed(p string, db, table string) bool {
	f.t.Helper()
	d, err := f.access.Authorize(meshAdmin, mesh.Principal(p), mesh.PermSelect, mesh.Resource{Database: db, Table: table})
	if err != nil {
		f.t.Fatalf("authorize: %v", err)
	}
	return d.Allowed
}

func (f *fixture) decide(ctx context.Context, id int64, approve bool, comment string) (*mesh.AccessRequest, error) {
	return f.svc.Decide(ctx, sharing.DecisionInput{RequestID: id, Approve: approve, Comment: comment, Channel: mesh.ChannelCLI})
}

func (f *fixture) execution(id string) *mesh.Execution {
	f.t.Helper()
	x, err := f.engine.FindExecution(f.ctx, id)
	if err != nil {
		f.t.Fatalf("execution: %v", err)
	}
	return x
}

// token returns the approval task token of request id, as someone who got
// hold of it somehow would hold it.
func (f *fixture) token(id int64) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := f.tokens[id]
	if tok == "" {
		f.t.Fatalf("no task token seen for request %d", id)
	}
	return tok
}

// accounts is the account service on s, with the fixture's services'
// offboarding hooks registered as the server registers them.
func (f *fixture) accounts(s store.Store) *account.Service {
	accts := account.NewService(s, f.clock, account.Central{ID: central, Name: "Central", Organization: org})
	accts.RegisterDependents(f.catalog.OffboardDependents)
	accts.RegisterDependents(f.access.OffboardDependents)
	accts.RegisterCleanup(f.svc.Offboard)
	accts.RegisterCleanup(f.access.Offboard)
	accts.RegisterCleanup(f.catalog.Offboard)
	return accts
}
