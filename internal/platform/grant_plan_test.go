package platform_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestApprovalShowsPlatformPlan: a request waiting for approval on a
// product of a registered PostgreSQL platform lists, to its approver, the
// statements the platform runs if it is approved, and approving runs them.
// A grant to an account that maps to no role lists none, and says so. The
// preview does not ask the platform about the role a fixed mapping names,
// and says what the apply does with what reaches the imported tables
// through it from beyond them.
func TestApprovalShowsPlatformPlan(t *testing.T) {
	for _, storeKind := range storetest.Kinds() {
		for _, fixed := range []bool{true, false} {
			name := storeKind + "/per-user"
			if fixed {
				name = storeKind + "/fixed"
			}
			t.Run(name, func(t *testing.T) { testApprovalPlan(t, newEnv(t, storeKind, pgFixture(t)), fixed) })
		}
	}
}

func testApprovalPlan(t *testing.T, e *env, fixed bool) {
	ctx := context.Background()
	q := e.f.q
	in := client.PlatformInput{Name: e.name, Kind: e.f.kind, DSN: e.f.dsn, AccountID: e.producer, Schemas: []string{e.schema}}
	role := ""
	if fixed {
		role = "Mg Fixed " + randomHex(4)
		e.f.exec(t, "CREATE ROLE "+q(role))
		t.Cleanup(func() { dropRole(t, e.f, role) })
		in.Roles = map[string]string{e.consumerID: role}
	}
	if _, err := e.admin.RegisterPlatform(ctx, in); err != nil {
		t.Fatalf("register: %v", err)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatalf("sync: %v", err)
	}
	db, orders := e.database(t), e.ordersWithPII(t)
	r, _, err := e.consumer.CreateRequest(ctx, client.RequestInput{Database: db, Table: orders, Justification: "the report"})
	if err != nil || r.Status != mesh.RequestPendingApproval {
		t.Fatalf("request: got %+v, %v; want PENDING_APPROVAL", r, err)
	}
	list, err := e.admin.Approvals(ctx, client.ApprovalsFilter{})
	if err != nil || len(list) != 1 || list[0].RequestID != r.ID {
		t.Fatalf("approvals: got %+v, %v; want request %d", list, err, r.ID)
	}
	plans := list[0].Plans
	if len(plans) != 1 || plans[0].Platform != e.name || plans[0].Kind != "postgres" {
		t.Fatalf("plans: got %+v, want one for platform %s", plans, e.name)
	}
	v, err := e.admin.Request(ctx, r.ID)
	if err != nil || v.Approval == nil || !reflect.DeepEqual(v.Approval.Plans, plans) {
		t.Errorf("the request's approval: got %+v, %v; want the listing's plans %+v", v.Approval, err, plans)
	}
	if v, err := e.consumer.Request(ctx, r.ID); err != nil || v.Approval == nil || len(v.Approval.Plans) != 0 {
		t.Errorf("the request's approval to the requesting account: got %+v, %v; want no plans", v.Approval, err)
	}
	p := plans[0]
	if !fixed {
		if len(p.Statements) != 0 || p.Role != "" || !strings.Contains(p.Note, "account "+e.consumerID) {
			t.Errorf("per-user plan: got %+v, want no statements and a note naming the account", p)
		}
		return
	}
	want := "GRANT SELECT ON TABLE " + q(e.schema, e.table) + " TO " + q(role)
	note := "this preview does not ask platform " + e.name + " about role " + role + "; the apply also reports what reaches the imported tables through it from beyond them"
	if p.Role != role || !strings.HasPrefix(p.Note, note) || !slices.Contains(p.Statements, want) {
		t.Errorf("fixed plan: got %+v, want role %s, %q and a note starting %q", p, role, want, note)
	}
	if e.f.held(t, role, e.schema, e.table) {
		t.Fatalf("role %s holds SELECT before the approval", role)
	}
	if _, err := e.admin.Decide(ctx, r.ID, true, "ok", "api"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	e.waitApplied(t)
	if !e.f.held(t, role, e.schema, e.table) {
		t.Errorf("after the approval role %s does not hold what the plan said", role)
	}
	if list, err = e.admin.Approvals(ctx, client.ApprovalsFilter{Status: "all"}); err != nil || len(list) != 1 || len(list[0].Plans) != 0 {
		t.Errorf("decided approval: got %+v, %v; want it without a plan", list, err)
	}
}
