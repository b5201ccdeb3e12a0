package sharing_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// replicas is a fixture on PostgreSQL, whose deadlocks are counted, with
// another replica's sharing service on the same store.
func replicas(t *testing.T) (*fixture, *deadlockCounter, *sharing.Service) {
	t.Helper()
	if !slices.Contains(storetest.Kinds(), "postgres") {
		t.Skip("PostgreSQL only: SQLite's one writer runs transactions one at a time")
	}
	s := &deadlockCounter{Store: storetest.Open(t, "postgres", nil)}
	f := newFixture(t, s)
	_, _, other := f.services()
	return f, s, other
}

// atOnce runs fns at once and waits for them.
func atOnce(fns ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Go(func() { <-start; fn() })
	}
	close(start)
	wg.Wait()
}

// noInternal fails the test on an error that is not the caller's (500).
func noInternal(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && mesh.ErrorCode(err) == mesh.EINTERNAL {
		t.Errorf("%s: %v", what, err)
	}
}

// noDeadlocks fails the test when PostgreSQL broke deadlocks since the
// last call.
func noDeadlocks(t *testing.T, s *deadlockCounter, round int) {
	t.Helper()
	if n := s.deadlocks.Swap(0); n > 0 {
		t.Errorf("round %d: PostgreSQL broke %d deadlocks", round, n)
	}
}

// inStep checks every request against its approval, execution and grant:
// an open request runs and waits for a pending approval, a shared one
// holds its permissions through its grant after an approved approval, an
// ended one neither runs nor waits; and every grant of the workflow is
// held by a shared request.
func inStep(t *testing.T, f *fixture, round int) {
	t.Helper()
	err := f.store.View(f.ctx, func(tx store.Tx) error {
		rs, err := tx.FindAccessRequests(f.ctx, store.RequestFilter{Limit: 1000})
		if err != nil {
			return err
		}
		held := map[int64]bool{}
		for _, r := range rs {
			x, err := tx.FindExecution(f.ctx, r.ExecutionID)
			if err != nil {
				return err
			}
			ap, err := tx.FindApproval(f.ctx, r.ID)
			if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
				return err
			}
			pending := ap != nil && ap.Status == mesh.ApprovalPending
			switch {
			case r.Open():
				if x.Status != mesh.ExecutionRunning || (r.Status == mesh.RequestPendingApproval && !pending) {
					t.Errorf("round %d: request %d is %s, its execution %s, its approval %+v", round, r.ID, r.Status, x.Status, ap)
				}
			case r.Status == mesh.RequestShared:
				held[r.GrantID] = true
				if g, err := tx.FindGrantByID(f.ctx, r.GrantID); err != nil || g.Permissions&r.Permissions != r.Permissions {
					t.Errorf("round %d: request %d is SHARED (%s), its grant %d: %+v, %v", round, r.ID, r.Permissions, r.GrantID, g, err)
				}
				if x.Status != mesh.ExecutionSucceeded || (ap != nil && ap.Status != mesh.ApprovalApproved) {
					t.Errorf("round %d: request %d is SHARED, its execution %s, its approval %+v", round, r.ID, x.Status, ap)
				}
			default:
				if x.Status == mesh.ExecutionRunning || pending {
					t.Errorf("round %d: request %d is %s, its execution %s, its approval %+v", round, r.ID, r.Status, x.Status, ap)
				}
			}
		}
		gs, err := tx.FindGrants(f.ctx, store.GrantFilter{Source: mesh.Principal(mesh.SourceSharing)})
		if err != nil {
			return err
		}
		for _, g := range gs {
			if !held[g.ID] {
				t.Errorf("round %d: grant %d (%s on %v) is held by no shared request", round, g.ID, g.Principal, g.Resource)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sharesInStep checks shares against their grants, links and invitations:
// a link's share is active, a share holds a grant, a pending invitation's
// share waits for it, and what an account granted its users from its grant
// option (through its link) stands on a grant the account still holds there.
func sharesInStep(t *testing.T, f *fixture, round int) {
	t.Helper()
	err := f.store.View(f.ctx, func(tx store.Tx) error {
		ls, err := tx.FindResourceLinks(f.ctx, "", 0)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if sh, err := tx.FindShareByID(f.ctx, l.ShareID); err != nil || sh.Status != mesh.ShareActive {
				t.Errorf("round %d: link %s/%s: its share %d: %+v, %v", round, l.AccountID, l.Name, l.ShareID, sh, err)
			}
		}
		shs, err := tx.FindShares(f.ctx, store.ShareFilter{})
		if err != nil {
			return err
		}
		for _, sh := range shs {
			if gs, err := tx.FindGrants(f.ctx, store.GrantFilter{ShareID: sh.ID, Limit: 1}); err != nil || len(gs) == 0 {
				t.Errorf("round %d: share %d (%s) holds no grant (%v)", round, sh.ID, sh.Status, err)
			}
		}
		invs, err := tx.FindInvitations(f.ctx, store.InvitationFilter{Status: mesh.InvitationPending})
		if err != nil {
			return err
		}
		for _, inv := range invs {
			if sh, err := tx.FindShareByID(f.ctx, inv.ShareID); err != nil || sh.Status != mesh.SharePending {
				t.Errorf("round %d: pending invitation %d: its share %d: %+v, %v", round, inv.ID, inv.ShareID, sh, err)
			}
		}
		gs, err := tx.FindGrants(f.ctx, store.GrantFilter{})
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.Source == "" || g.Source == mesh.SourceSharing {
				continue
			}
			if held, err := tx.FindGrants(f.ctx, store.GrantFilter{Principal: g.Source, Database: g.Resource.Database}); err != nil || len(held) == 0 {
				t.Errorf("round %d: grant %d (%s on %v) from %s, which holds nothing there (%v)", round, g.ID, g.Principal, g.Resource, g.Source, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pendingInvitation returns the consumer's one pending invitation.
func pendingInvitation(t *testing.T, f *fixture) *mesh.Invitation {
	t.Helper()
	invs, _, err := f.access.ListInvitations(consumerAdmin, access.InvitationFilter{Status: mesh.InvitationPending})
	if err != nil || len(invs) != 1 {
		t.Fatalf("invitations: got %d, %v; want 1", len(invs), err)
	}
	return invs[0]
}

// TestEndingSharedWhileOthersDo: on PostgreSQL, revocations on one replica
// meet, on another, the expiry's sweep of several requests past their end,
// a table's deletion (whose grants' end ends their requests), and a change
// of the database's owner (which gives its requests to the new owner).
// Every transaction writes shared requests' rows under the access version,
// so none waits for the other in a circle: PostgreSQL breaks no deadlock,
// and nothing fails. Every request ends in step with its grant.
func TestEndingSharedWhileOthersDo(t *testing.T) {
	hour := func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) }
	t.Run("expiry", func(t *testing.T) {
		f, s, other := replicas(t)
		for i := range 8 {
			rs := []*mesh.AccessRequest{f.request(siblingCarl, "marketing", "campaigns", hour),
				f.request(siblingCarl, "hr", "teams", hour), f.request(consumerAnn, "marketing", "campaigns", hour)}
			f.clock.Add(time.Hour)
			fns := []func(){func() { _, err := f.svc.ExpireOnce(f.ctx); noInternal(t, "expire", err) }}
			for _, r := range slices.Backward(rs) { // the sweep ends them oldest first
				fns = append(fns, func() { _, err := other.RevokeRequest(producerAdmin, r.ID); noInternal(t, "revoke", err) })
			}
			atOnce(fns...)
			noDeadlocks(t, s, i)
			inStep(t, f, i)
			for _, r := range rs {
				f.wantStatus(r.ID, mesh.RequestExpired)
			}
		}
	})
	t.Run("table deleted", func(t *testing.T) {
		f, s, other := replicas(t)
		for i := range 8 {
			name := fmt.Sprintf("t%d", i)
			if _, err := f.catalog.CreateTable(meshAdmin, &mesh.Table{DatabaseName: "marketing", Name: name, Columns: []mesh.Column{col("id", false)}}); err != nil {
				t.Fatal(err)
			}
			rs := []*mesh.AccessRequest{f.request(siblingCarl, "marketing", name), f.request(consumerAnn, "marketing", name)}
			var derr error
			fns := []func(){func() { derr = f.catalog.DeleteTable(meshAdmin, "marketing", name) }}
			for _, r := range rs {
				fns = append(fns, func() { _, err := other.RevokeRequest(producerAdmin, r.ID); noInternal(t, "revoke", err) })
			}
			atOnce(fns...)
			if derr != nil {
				t.Fatalf("round %d: delete: %v", i, derr)
			}
			noDeadlocks(t, s, i)
			inStep(t, f, i)
			for _, r := range rs {
				f.wantStatus(r.ID, mesh.RequestRevoked)
			}
		}
	})
	t.Run("owner changed", func(t *testing.T) {
		f, s, other := replicas(t)
		for i := range 8 {
			rs := []*mesh.AccessRequest{f.request(consumerAnn, "marketing", "campaigns"), f.request(consumerAnn, "marketing", mesh.AllTables)}
			d, err := f.catalog.FindDatabase(meshAdmin, "marketing")
			if err != nil {
				t.Fatal(err)
			}
			next := map[string]string{producer: sibling, sibling: producer}[d.DataOwner()]
			var uerr error
			fns := []func(){func() {
				_, uerr = f.catalog.UpdateDatabase(meshAdmin, "marketing", catalog.DatabaseUpdate{Parameters: map[string]string{mesh.ParamDataOwner: next}}, d.Version)
			}}
			for _, r := range rs {
				fns = append(fns, func() { _, err := other.RevokeRequest(consumerAdmin, r.ID); noInternal(t, "revoke", err) })
			}
			atOnce(fns...)
			if uerr != nil {
				t.Fatalf("round %d: owner change: %v", i, uerr)
			}
			noDeadlocks(t, s, i)
			inStep(t, f, i)
			for _, r := range rs {
				if v := f.wantStatus(r.ID, mesh.RequestRevoked); v.OwnerAccount != next {
					t.Errorf("round %d: request %d: got owner %s, want %s", i, r.ID, v.OwnerAccount, next)
				}
			}
		}
	})
}

// TestLifecycleRacesOnTwoReplicas: on PostgreSQL, pairs of operations on
// one request (or one grant) meet on two replicas: exactly one of two that
// exclude each other wins, the other is refused as the caller's (never
// 500), PostgreSQL breaks no deadlock, every request ends in step with its
// grant, approval and execution, and every share with its grants, link and
// invitation: nothing granted through a link outlives its share.
func TestLifecycleRacesOnTwoReplicas(t *testing.T) {
	oneWins := func(t *testing.T, round int, a, b error) {
		t.Helper()
		noInternal(t, "first", a)
		noInternal(t, "second", b)
		if (a == nil) == (b == nil) {
			t.Errorf("round %d: got %v and %v, want exactly one to succeed", round, a, b)
		}
	}
	tests := []struct {
		name  string
		round func(t *testing.T, f *fixture, other *sharing.Service, i int)
	}{
		{"cancel and approve", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "sales", "orders")
			var c, d error
			atOnce(func() { _, c = f.svc.CancelRequest(consumerAnn, r.ID) },
				func() { _, d = other.Decide(approver, sharing.DecisionInput{RequestID: r.ID, Approve: true}) })
			oneWins(t, i, c, d)
			if d == nil {
				if _, err := f.svc.RevokeRequest(producerAdmin, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"cancel and deny", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "sales", "orders")
			var c, d error
			atOnce(func() { _, c = f.svc.CancelRequest(consumerAnn, r.ID) },
				func() { _, d = other.Decide(approver, sharing.DecisionInput{RequestID: r.ID}) })
			oneWins(t, i, c, d)
		}},
		{"revoke by the owner's and the requester's admins", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(siblingCarl, "marketing", "campaigns")
			var a, b error
			atOnce(func() { _, a = f.svc.RevokeRequest(producerAdmin, r.ID) },
				func() { _, b = other.RevokeRequest(as(sibling, "sadmin", mesh.RoleAdmin), r.ID) })
			oneWins(t, i, a, b)
		}},
		{"approve at the approval's expiry", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "sales", "orders")
			f.clock.Add(sharing.DefaultApprovalTimeout)
			var d error
			atOnce(func() { noInternal(t, "timers", f.engine.Drain(f.ctx)) },
				func() { _, d = other.Decide(approver, sharing.DecisionInput{RequestID: r.ID, Approve: true}) })
			if !mesh.IsCode(d, mesh.ECONFLICT) {
				t.Errorf("round %d: approve after the expiry: got %v, want conflict", i, d)
			}
			noInternal(t, "timers", f.engine.Drain(f.ctx))
			f.wantStatus(r.ID, mesh.RequestExpired)
		}},
		{"one request asked for twice", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			in := sharing.RequestInput{Database: "sales", Table: "orders", Justification: "x"}
			var r1, r2 *mesh.AccessRequest
			var c1, c2 bool
			var e1, e2 error
			atOnce(func() { r1, c1, e1 = f.svc.CreateRequest(consumerAnn, in) }, func() { r2, c2, e2 = other.CreateRequest(consumerBob, in) })
			if e1 != nil || e2 != nil {
				t.Fatalf("round %d: %v, %v", i, e1, e2)
			}
			if c1 == c2 || r1.ID != r2.ID {
				t.Errorf("round %d: got request %d (created %v) and %d (created %v), want one made", i, r1.ID, c1, r2.ID, c2)
			}
			if _, err := f.svc.CancelRequest(meshAdmin, r1.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"revoke one of a grant's requests, approve the other", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			a := f.request(consumerAnn, "sales", "orders")
			if _, err := f.decide(approver, a.ID, true, ""); err != nil {
				t.Fatal(err)
			}
			b := f.request(consumerAnn, "sales", "orders", func(in *sharing.RequestInput) { in.Permissions = mesh.PermissionsOf(mesh.PermSelect) })
			var r, d error
			atOnce(func() { _, r = f.svc.RevokeRequest(producerAdmin, a.ID) },
				func() { _, d = other.Decide(approver, sharing.DecisionInput{RequestID: b.ID, Approve: true}) })
			if r != nil || d != nil {
				t.Fatalf("round %d: revoke %v, approve %v; want both", i, r, d)
			}
			f.wantStatus(b.ID, mesh.RequestShared) // inStep: its grant holds SELECT
			if _, err := f.svc.RevokeRequest(producerAdmin, b.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"cancel at the approval's expiry", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "sales", "orders")
			f.clock.Add(sharing.DefaultApprovalTimeout)
			var c error
			atOnce(func() { noInternal(t, "timers", f.engine.Drain(f.ctx)) },
				func() { _, c = other.CancelRequest(consumerAnn, r.ID) })
			noInternal(t, "timers", f.engine.Drain(f.ctx))
			switch v := f.get(r.ID); {
			case c == nil && v.Status != mesh.RequestCancelled, c != nil && (!mesh.IsCode(c, mesh.ECONFLICT) || v.Status != mesh.RequestExpired):
				t.Errorf("round %d: cancel: got %v and the request %s, want it cancelled, or refused as expired", i, c, v.Status)
			}
		}},
		{"accept the invitation and revoke", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "hr", "teams")
			inv := pendingInvitation(t, f)
			var a, v error
			atOnce(func() { _, a = f.access.AcceptInvitation(consumerAdmin, inv.ID, "") },
				func() { _, v = other.RevokeRequest(producerAdmin, r.ID) })
			if v != nil || (a != nil && !mesh.IsCode(a, mesh.ECONFLICT)) {
				t.Errorf("round %d: accept %v, revoke %v; want the revocation, and the acceptance or a conflict", i, a, v)
			}
			if err := f.access.Refresh(f.ctx); err != nil {
				t.Fatal(err)
			}
			if f.allowed(consumer, "hr", "teams") {
				t.Errorf("round %d: account %s allowed after the revocation", i, consumer)
			}
		}},
		{"grant through the link and revoke, or expire", func(t *testing.T, f *fixture, other *sharing.Service, i int) {
			r := f.request(consumerAnn, "hr", "teams", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
			if _, err := f.access.AcceptInvitation(consumerAdmin, pendingInvitation(t, f).ID, ""); err != nil {
				t.Fatal(err)
			}
			end := func() error { _, err := other.RevokeRequest(producerAdmin, r.ID); return err }
			if i%2 == 1 {
				f.clock.Add(time.Hour)
				end = func() error { _, err := other.ExpireOnce(f.ctx); return err }
			}
			ann := mesh.Principal(consumer + "/ann")
			var g, e error
			atOnce(func() {
				_, g = f.access.Grant(consumerAdmin, access.GrantInput{Principal: ann, Resource: mesh.Resource{Database: "hr", Table: "teams"},
					Permissions: mesh.PermissionsOf(mesh.PermSelect)})
			}, func() { e = end() })
			noInternal(t, "grant", g)
			if e != nil {
				t.Errorf("round %d: the share's end: %v", i, e)
			}
			if err := f.access.Refresh(f.ctx); err != nil {
				t.Fatal(err)
			}
			if f.allowed(string(ann), "hr", "teams") {
				t.Errorf("round %d: %s allowed after the share ended (the grant: %v)", i, ann, g)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s, other := replicas(t)
			for i := range 6 {
				tt.round(t, f, other, i)
				noDeadlocks(t, s, i)
				inStep(t, f, i)
				sharesInStep(t, f, i)
			}
		})
	}
}

// warnedAfterEnd names the requests of rs whose history warns of their
// end after it records that end.
func warnedAfterEnd(t *testing.T, f *fixture, rs []*mesh.AccessRequest) []string {
	t.Helper()
	var bad []string
	err := f.store.View(f.ctx, func(tx store.Tx) error {
		for _, r := range rs {
			ns, err := tx.FindNotifications(f.ctx, store.NotificationFilter{RequestID: r.ID, Limit: 1000})
			if err != nil {
				return err
			}
			var events []string
			ended := false
			for _, n := range ns { // oldest first
				events = append(events, n.Event)
				ended = ended || n.Event == "request.revoked" || n.Event == "request.expired"
				if ended && n.Event == "request.expiring" {
					bad = append(bad, fmt.Sprintf("request %d: %s", r.ID, strings.Join(events, ", ")))
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

// TestExpiryWarningWhileEnding: on PostgreSQL, one replica warns the
// requesters of time-bound grants that end soon while another revokes
// them, or, its clock a second ahead, ends them at their expiry. A request
// is warned of its end before it ends or not at all: never "access ends
// soon" after "access ended".
func TestExpiryWarningWhileEnding(t *testing.T) {
	twoDays := func(in *sharing.RequestInput) { in.Duration = mesh.Duration(48 * time.Hour) }
	for _, ending := range []string{"revoke", "expiry"} {
		t.Run(ending, func(t *testing.T) {
			f, s, other := replicas(t)
			ahead := mesh.NewFakeClock(f.clock.Now())
			if ending == "expiry" {
				clock := f.clock
				f.clock = ahead
				_, _, other = f.services()
				f.clock = clock
			}
			for i := range 10 {
				rs := []*mesh.AccessRequest{f.request(siblingCarl, "marketing", "campaigns", twoDays), f.request(siblingCarl, "hr", "teams", twoDays),
					f.request(consumerAnn, "marketing", "campaigns", twoDays), f.request(consumerAnn, "hr", "teams", twoDays)}
				f.clock.Add(48*time.Hour - time.Second) // within the warning's lead, not yet ended
				ahead.Set(f.clock.Now().Add(time.Second))
				fns := []func(){func() { noInternal(t, "warn", f.svc.WarnExpiring(f.ctx)) }}
				if ending == "expiry" {
					fns = append(fns, func() { _, err := other.ExpireOnce(f.ctx); noInternal(t, "expire", err) })
				} else {
					for _, r := range rs {
						fns = append(fns, func() { _, err := other.RevokeRequest(producerAdmin, r.ID); noInternal(t, "revoke", err) })
					}
				}
				atOnce(fns...)
				f.clock.Add(time.Second)
				noDeadlocks(t, s, i)
				inStep(t, f, i)
				for _, r := range rs {
					if v := f.get(r.ID); v.Open() || v.Status == mesh.RequestShared {
						t.Errorf("round %d: request %d: got %s, want it ended", i, r.ID, v.Status)
					}
				}
				if bad := warnedAfterEnd(t, f, rs); len(bad) > 0 {
					t.Errorf("round %d: warned of the end after it: %s", i, strings.Join(bad, "; "))
				}
			}
		})
	}
}
