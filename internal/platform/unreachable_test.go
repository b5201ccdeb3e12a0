package platform_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/tcptest"
)

// patience bounds each call of the tests below: a call that waits on the
// platform for as long as it hangs fails the test instead of hanging it.
const patience = 20 * time.Second

// TestPlansWithThePlatformDownOrHung: previews of a platform that is down
// or hangs (reached through a proxy that cuts or freezes its connections)
// come back at once, or after a short check, and say what they could not
// learn. The pending approvals' listing never speaks to the platform; a
// plan asks it whether the user's role exists with a short limit, and a
// platform that did not answer is left alone for a while instead of being
// dialed, or waited on, again at every plan. Once the platform answers
// again the plan lists the CREATE ROLE exactly when the role is missing.
// A plan that could not ask says too that the apply ends what reaches the
// imported tables through the role from beyond them.
func TestPlansWithThePlatformDownOrHung(t *testing.T) {
	for _, storeKind := range storetest.Kinds() {
		t.Run(storeKind, func(t *testing.T) {
			f := *pgFixture(t)
			px, dsn := tcptest.ProxyURL(t, f.dsn)
			f.dsn = dsn
			testPlansUnreachable(t, newEnv(t, storeKind, &f), px)
		})
	}
}

func testPlansUnreachable(t *testing.T, e *env, px *tcptest.Proxy) {
	// Freed before the server stops, so that nothing of it waits on the proxy.
	t.Cleanup(func() { px.Set(tcptest.Forwarding) })
	ctx := context.Background()
	e.register(t)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatalf("sync: %v", err)
	}
	db := e.database(t)
	orders := e.ordersWithPII(t)

	// Pending approvals: the consumer's, and two more accounts' the mesh admin asks for.
	var ids []int64
	for i, target := range []string{e.consumerID, "3" + randomDigits(11), "4" + randomDigits(11)} {
		c := e.consumer
		if i > 0 {
			c = e.admin
			if _, err := e.admin.OnboardAccount(ctx, client.AccountInput{ID: target, Name: "acct " + target, Organization: "o-acme"}); err != nil {
				t.Fatal(err)
			}
		}
		r, _, err := c.CreateRequest(ctx, client.RequestInput{Database: db, Table: orders, TargetAccount: target, Justification: "the report"})
		if err != nil || r.Status != mesh.RequestPendingApproval {
			t.Fatalf("request for %s: got %+v, %v; want PENDING_APPROVAL", target, r, err)
		}
		ids = append(ids, r.ID)
	}
	// approvals lists them, and checks each shows its platform's plan.
	approvals := func(t *testing.T) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, patience)
		defer cancel()
		list, err := e.admin.Approvals(cctx, client.ApprovalsFilter{})
		if err != nil || len(list) != len(ids) {
			t.Fatalf("approvals: got %d, %v; want %d", len(list), err, len(ids))
		}
		for _, ap := range list {
			if len(ap.Plans) != 1 || ap.Plans[0].Platform != e.name || ap.Plans[0].Note == "" {
				t.Errorf("approval of request %d: got plans %+v, want platform %s's, with its note", ap.RequestID, ap.Plans, e.name)
			}
		}
		cctx, cancel = context.WithTimeout(ctx, patience)
		defer cancel()
		if v, err := e.admin.Request(cctx, ids[0]); err != nil || v.Approval == nil || len(v.Approval.Plans) != 1 {
			t.Errorf("request %d: got %+v, %v; want its approval with a plan", ids[0], v, err)
		}
	}

	alice := e.consumerID + "/" + e.alice
	bob := e.consumerID + "/bob" + randomHex(4)
	// plan previews the grant of perm on orders to p.
	plan := func(t *testing.T, p, perm string) client.PlanEntry {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, patience)
		defer cancel()
		start := time.Now()
		ps, err := e.admin.PlanPlatforms(cctx, client.PlanInput{Principal: p, Resource: client.Resource{Database: db, Table: orders}, Permissions: []string{perm}})
		if err != nil || len(ps) != 1 {
			t.Fatalf("plan of %s to %s: got %+v, %v after %s; want one platform's", perm, p, ps, err, time.Since(start).Round(time.Millisecond))
		}
		return ps[0]
	}
	creates := func(p client.PlanEntry) bool {
		return slices.ContainsFunc(p.Statements, func(s string) bool { return strings.HasPrefix(s, "CREATE ROLE") })
	}

	// Healthy: alice's role is missing, and the plan creates it first.
	if p := plan(t, alice, "SELECT"); !creates(p) || p.Note != "" {
		t.Errorf("healthy, alice's role missing: got %+v, want a CREATE ROLE first and no note", p)
	}

	t.Run("down", func(t *testing.T) {
		// No connection open, as after a restart, and the platform down.
		e.srv.Platforms.Close()
		px.Set(tcptest.Down)
		before := px.Accepted()
		approvals(t)
		approvals(t)
		if n := px.Accepted() - before; n != 0 {
			t.Errorf("listing the approvals twice dialed the platform %d times, want none", n)
		}
		// A plan, outside the store's read, may try to connect once.
		if p := plan(t, alice, "SELECT"); creates(p) || !strings.Contains(p.Note, "CREATE ROLE") || !strings.Contains(p.Note, "the apply also ends what reaches the imported tables") {
			t.Errorf("platform down: got %+v, want no CREATE ROLE and a note saying it runs first if the role is missing, and what else the apply ends", p)
		}
		for i := range 5 {
			if p := plan(t, alice, "SELECT"); creates(p) || !strings.Contains(p.Note, "ask it again after") {
				t.Errorf("plan %d after the platform failed to answer: got %+v, want no CREATE ROLE and a note saying when plans ask again", i, p)
			}
		}
		approvals(t)
		// pgx makes one connection attempt of two TCP connections, the
		// second after it returned.
		if n := px.Accepted() - before; n > 2 {
			t.Errorf("two listings, six plans and a listing made %d connections to the platform, want one attempt's (at most 2)", n)
		}
	})

	t.Run("healthy again", func(t *testing.T) {
		px.Set(tcptest.Forwarding)
		// The applier reaches the platform again, and plans ask it again.
		if _, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		if p := plan(t, alice, "SELECT"); !creates(p) || p.Note != "" {
			t.Errorf("alice's role missing: got %+v, want a CREATE ROLE first and no note", p)
		}
		e.grantAliceAll(t) // creates alice's role
		if p := plan(t, alice, "INSERT"); creates(p) || p.Note != "" || len(p.Statements) == 0 {
			t.Errorf("alice's role exists: got %+v, want its grant without CREATE ROLE or note", p)
		}
		if p := plan(t, bob, "SELECT"); !creates(p) || p.Note != "" {
			t.Errorf("bob's role missing: got %+v, want a CREATE ROLE first and no note", p)
		}
	})

	t.Run("hung", func(t *testing.T) {
		// A connection is open, and the platform stops answering on it.
		px.Set(tcptest.Frozen)
		approvals(t)
		start := time.Now()
		if p := plan(t, alice, "INSERT"); creates(p) || !strings.Contains(p.Note, "CREATE ROLE") {
			t.Errorf("platform hung: got %+v, want no CREATE ROLE and a note saying it runs first if the role is missing", p)
		}
		first := time.Since(start)
		// The next plans do not ask: they say when plans ask again.
		start = time.Now()
		for i := range 5 {
			if p := plan(t, bob, "SELECT"); creates(p) || !strings.Contains(p.Note, "ask it again after") {
				t.Errorf("plan %d after the platform failed to answer: got %+v, want no CREATE ROLE and a note saying when plans ask again", i, p)
			}
		}
		approvals(t)
		t.Logf("the first plan took %s, five more and a listing %s", first.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	})
}

// ordersWithPII marks a column of the orders table as PII, so that its
// requests wait for an approval, and returns the table's catalog name.
func (e *env) ordersWithPII(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	db, orders := e.database(t), e.orders(t)
	sys := mesh.NewContext(ctx, mesh.SystemActor("central"))
	tb, err := e.srv.Catalog.FindTable(sys, db, orders)
	if err != nil {
		t.Fatal(err)
	}
	tb.Columns[2].Parameters = map[string]string{mesh.ParamPIIFlag: "true"}
	if _, err := e.srv.Catalog.UpdateTable(sys, db, orders, catalog.TableUpdate{Columns: tb.Columns}, tb.Version); err != nil {
		t.Fatal(err)
	}
	return orders
}

// orders returns the catalog name of the synced database's orders table
// (the platform's names are quoted into catalog names).
func (e *env) orders(t testing.TB) string {
	t.Helper()
	tables, err := e.admin.ListTables(context.Background(), e.database(t), client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables.Tables {
		if tb.Description == "orders" {
			return tb.Name
		}
	}
	t.Fatalf("no orders table among %+v", tables.Tables)
	return ""
}
