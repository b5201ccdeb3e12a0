package sharing_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/notify"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

func TestNoPIISharedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(siblingCarl, "marketing", "campaigns")
		if r.Status != mesh.RequestShared || r.GrantID == 0 || r.ShareID == 0 {
			t.Fatalf("got %+v, want SHARED with its grant and share", r)
		}
		// in the organization: the share is active, the account holds it at once
		if !f.allowed(sibling, "marketing", "campaigns") {
			t.Error("the target account is not allowed after SHARED")
		}
		if f.allowed(consumer, "marketing", "campaigns") {
			t.Error("another account is allowed")
		}
		v := f.get(r.ID)
		if x := f.execution(v.ExecutionID); x.Status != mesh.ExecutionSucceeded || v.StateMachine != sharing.DefaultStateMachine || v.StateMachineVersion != 1 {
			t.Errorf("execution %s, machine %s:%d; want SUCCEEDED on %s:1", x.Status, v.StateMachine, v.StateMachineVersion, sharing.DefaultStateMachine)
		}
		if len(v.Timeline) == 0 || len(v.Notifications) != 1 || v.Notifications[0].Event != "request.shared" {
			t.Errorf("timeline %d events, notifications %+v; want a timeline and one request.shared", len(v.Timeline), v.Notifications)
		}
		// it never waited for approval: deciding it is a conflict naming its
		// status, for those who may decide it; others, who may not see it,
		// are refused without it
		if _, err := f.decide(meshAdmin, r.ID, true, ""); !mesh.IsCode(err, mesh.ECONFLICT) || !strings.Contains(err.Error(), "SHARED") {
			t.Errorf("deciding a request shared at once: got %v, want ECONFLICT naming SHARED", err)
		}
		_, err := f.decide(consumerBob, r.ID, true, "")
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.EFORBIDDEN || me.Details != nil || strings.Contains(err.Error(), "SHARED") {
			t.Errorf("someone who may not see it decides it: got %v (details %+v), want forbidden, without the request", err, me)
		}
		// the whole marketing database has no flag anywhere: shared at once too
		if r := f.request(siblingCarl, "marketing", ""); r.Status != mesh.RequestShared || r.Table != mesh.AllTables {
			t.Errorf("whole database: got %s on table %q, want SHARED on *", r.Status, r.Table)
		}
		if !f.allowed(sibling, "marketing", "any_later_table") {
			t.Error("a whole-database request does not cover all tables")
		}
	})
}

func TestPIIApproved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		if r.Status != mesh.RequestPendingApproval || !slices.Equal(r.PIIColumns, []string{"*", "orders.email"}) {
			t.Fatalf("got %s with pii %v, want PENDING_APPROVAL naming * and orders.email", r.Status, r.PIIColumns)
		}
		list, err := f.svc.FindApprovals(approver, sharing.ApprovalFilter{})
		if err != nil || len(list) != 1 || list[0].RequestID != r.ID || list[0].Request == nil || list[0].AccountID != producer {
			t.Fatalf("approver's list: got %+v, %v; want request %d", list, err, r.ID)
		}
		if _, err := f.svc.FindApprovals(producerMember, sharing.ApprovalFilter{}); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("member's list: got %v, want forbidden", err)
		}
		v := f.get(r.ID)
		if v.Approval == nil || len(v.Notifications) != 1 || v.Notifications[0].Recipient != "role:approver" || v.Notifications[0].AccountID != producer {
			t.Errorf("approval %+v, notifications %+v; want the approval and one notice to the producer's approvers", v.Approval, v.Notifications)
		}
		tok := f.token(r.ID)
		for _, ev := range v.Timeline {
			if strings.Contains(string(ev.Details), tok) || strings.Contains(string(ev.Details), `"token"`) {
				t.Errorf("timeline event %s shows a token: %s", ev.Type, ev.Details)
			}
		}
		if _, err := f.decide(producerMember, r.ID, true, ""); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("a member decides: got %v, want forbidden", err)
		}
		got, err := f.decide(approver, r.ID, true, "for the report only")
		if err != nil {
			t.Fatalf("approve: %v", err)
		}
		if got.Status != mesh.RequestShared || got.Decision == nil || got.Decision.By != producer+"/sam" || !got.Decision.Approved || got.Decision.Channel != mesh.ChannelCLI {
			t.Fatalf("got %+v (decision %+v), want SHARED with sam's decision", got, got.Decision)
		}
		// outside the organization: the grant waits for the invitation
		if f.allowed(consumer, "sales", "orders") {
			t.Error("allowed before the invitation was accepted")
		}
		invs, _, err := f.access.ListInvitations(consumerAdmin, access.InvitationFilter{Status: mesh.InvitationPending})
		if err != nil || len(invs) != 1 {
			t.Fatalf("invitations: got %d, %v; want 1", len(invs), err)
		}
		if _, err := f.access.AcceptInvitation(consumerAdmin, invs[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		if !f.allowed(consumer, "sales", "orders") {
			t.Error("not allowed after the invitation was accepted")
		}
		if _, err := f.decide(approver2, r.ID, false, "late"); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("deciding again: got %v, want conflict", err)
		}
	})
}

func TestDenied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		if _, err := f.decide(approver, r.ID, false, "no customer emails outside Sales"); err != nil {
			t.Fatal(err)
		}
		v := f.wantStatus(r.ID, mesh.RequestDenied)
		if v.Error != "AccessDenied" || v.Cause != "no customer emails outside Sales" || v.Decision == nil || v.Decision.Approved {
			t.Errorf("got %s: %s, decision %+v; want AccessDenied with the comment", v.Error, v.Cause, v.Decision)
		}
		x := f.execution(v.ExecutionID)
		if x.Status != mesh.ExecutionFailed || x.Error != "AccessDenied" || x.Cause != "no customer emails outside Sales" {
			t.Errorf("execution: got %s %s: %s, want FAILED AccessDenied with the comment", x.Status, x.Error, x.Cause)
		}
		if v.Approval.Status != mesh.ApprovalDenied || f.allowed(consumer, "sales", "orders") {
			t.Errorf("approval %s; want DENIED and nothing granted", v.Approval.Status)
		}
		// denied is closed: asking again starts a new request
		if r2 := f.request(consumerAnn, "sales", "orders"); r2.ID == r.ID {
			t.Error("a denied request was returned as open")
		}
	})
}

func TestApprovalExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		f.clock.Add(7*24*time.Hour - time.Second)
		if err := f.engine.Drain(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.wantStatus(r.ID, mesh.RequestPendingApproval)
		f.clock.Add(time.Second)
		if _, err := f.decide(approver, r.ID, true, ""); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("decision at expiry: got %v, want conflict", err)
		}
		if err := f.engine.Drain(f.ctx); err != nil {
			t.Fatal(err)
		}
		v := f.wantStatus(r.ID, mesh.RequestExpired)
		if v.Error != "ApprovalExpired" || v.Approval.Status != mesh.ApprovalExpired {
			t.Errorf("got %s, approval %s; want ApprovalExpired, EXPIRED", v.Error, v.Approval.Status)
		}
		if x := f.execution(v.ExecutionID); x.Error != "ApprovalExpired" {
			t.Errorf("execution error: got %s, want ApprovalExpired", x.Error)
		}
	})
}

func TestTimeBoundAccessExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
		if r.Status != mesh.RequestShared || !r.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
			t.Fatalf("got %s until %v, want SHARED for an hour", r.Status, r.ExpiresAt)
		}
		f.clock.Add(59 * time.Minute)
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 0 {
			t.Fatalf("before expiry: ended %d, %v; want 0", n, err)
		}
		f.clock.Add(time.Minute)
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 1 {
			t.Fatalf("at expiry: ended %d, %v; want 1", n, err)
		}
		v := f.wantStatus(r.ID, mesh.RequestExpired)
		if f.allowed(sibling, "marketing", "campaigns") {
			t.Error("allowed after expiry")
		}
		err := s.View(f.ctx, func(tx store.Tx) error {
			_, err := tx.FindShareByID(f.ctx, v.ShareID)
			return err
		})
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("share after expiry: got %v, want gone", err)
		}
		if last := v.Notifications[len(v.Notifications)-1]; last.Event != "request.expired" || last.Recipient != sibling+"/carl" {
			t.Errorf("last notification: got %+v, want request.expired to carl", last)
		}
	})
}

// TestRevokeAfterItsEnd: revoking a time-bound request whose duration has
// ended, before the expiry reached it, records it EXPIRED, as the expiry
// would a moment later, and answers that it is not shared (a conflict
// carrying EXPIRED); its access ends either way.
func TestRevokeAfterItsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
		f.clock.Add(time.Hour + time.Second)
		_, err := f.svc.RevokeRequest(producerAdmin, r.ID)
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.ECONFLICT || !strings.Contains(me.Message, mesh.RequestExpired) {
			t.Errorf("revoke after the end: got %v, want a conflict naming EXPIRED", err)
		}
		v := f.wantStatus(r.ID, mesh.RequestExpired)
		if !strings.Contains(v.Cause, "duration of 1h0m0s ended") || f.allowed(sibling, "marketing", "campaigns") {
			t.Errorf("got cause %q, allowed %v; want the duration's end, and no access", v.Cause, f.allowed(sibling, "marketing", "campaigns"))
		}
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 0 {
			t.Errorf("the expiry after: ended %d, %v; want nothing left to end", n, err)
		}
	})
}

// TestApprovalTimeoutKeptInRange: an approval timeout the state machine
// cannot wait (under a second, over 99,999,999 seconds) is kept within
// those bounds, so personal-data requests wait for their approval rather
// than fail at once. (The server refuses such a setting: TestApprovalTimeoutConfig.)
func TestApprovalTimeoutKeptInRange(t *testing.T) {
	for _, c := range []struct{ set, want time.Duration }{
		{500 * time.Millisecond, sharing.MinApprovalTimeout},
		{4 * 365 * 24 * time.Hour, sharing.MaxApprovalTimeout},
	} {
		f := newFixture(t, storetest.OpenSQLite(t, nil))
		svc := sharing.New(f.store, f.clock, sharing.Config{CentralAccountID: central, ApprovalTimeout: c.set}, f.engine, f.access)
		if got := svc.Config().ApprovalTimeout; got != c.want {
			t.Errorf("approval timeout %s: got %s, want %s", c.set, got, c.want)
		}
		r, _, err := svc.CreateRequest(consumerAnn, sharing.RequestInput{Database: "sales", Table: "orders", Justification: "x"})
		if err != nil || r.Status != mesh.RequestPendingApproval {
			t.Errorf("approval timeout %s: got %+v, %v; want PENDING_APPROVAL", c.set, r, err)
		}
	}
}

func TestCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		if _, err := f.svc.CancelRequest(consumerBob, r.ID); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("another member cancels: got %v, want forbidden", err)
		}
		if _, err := f.svc.CancelRequest(consumerAnn, r.ID); err != nil {
			t.Fatal(err)
		}
		v := f.wantStatus(r.ID, mesh.RequestCancelled)
		if v.EndedBy != consumer+"/ann" || v.Approval.Status != mesh.ApprovalCancelled || f.execution(v.ExecutionID).Status != mesh.ExecutionAborted {
			t.Errorf("ended by %s, approval %s, execution %s; want ann, CANCELLED, ABORTED", v.EndedBy, v.Approval.Status, f.execution(v.ExecutionID).Status)
		}
		_, err := f.svc.CancelRequest(consumerAnn, r.ID)
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.ECONFLICT || !strings.Contains(me.Message, mesh.RequestCancelled) {
			t.Errorf("cancel again: got %v, want a conflict naming CANCELLED", err)
		}
		if _, err := f.decide(approver, r.ID, true, ""); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("decide a cancelled request: got %v, want conflict", err)
		}
	})
}

func TestRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(siblingCarl, "marketing", "campaigns")
		if _, err := f.svc.RevokeRequest(siblingCarl, r.ID); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("a member revokes: got %v, want forbidden", err)
		}
		pending := f.request(consumerAnn, "sales", "orders")
		if _, err := f.svc.RevokeRequest(producerAdmin, pending.ID); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("revoke a pending request: got %v, want conflict", err)
		}
		if _, err := f.svc.RevokeRequest(producerAdmin, r.ID); err != nil {
			t.Fatal(err)
		}
		v := f.wantStatus(r.ID, mesh.RequestRevoked)
		if v.EndedBy != producer+"/padmin" || f.allowed(sibling, "marketing", "campaigns") {
			t.Errorf("ended by %s, allowed %v; want padmin and no access", v.EndedBy, f.allowed(sibling, "marketing", "campaigns"))
		}
		if _, err := f.svc.RevokeRequest(producerAdmin, r.ID); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("revoke again: got %v, want conflict", err)
		}
	})
}

// TestColumnFlagsNeedApproval: the reference design checked only the
// database's flag; a column's flag must send the request to approval, for a
// whole database and for one table.
func TestColumnFlagsNeedApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		db := f.request(consumerAnn, "hr", "")
		if db.Status != mesh.RequestPendingApproval || !slices.Equal(db.PIIColumns, []string{"people.salary"}) {
			t.Errorf("database-level: got %s naming %v, want PENDING_APPROVAL naming people.salary", db.Status, db.PIIColumns)
		}
		tb := f.request(consumerAnn, "hr", "people")
		if tb.Status != mesh.RequestPendingApproval {
			t.Errorf("table with a flagged column: got %s, want PENDING_APPROVAL", tb.Status)
		}
		if r := f.request(consumerAnn, "hr", "teams"); r.Status != mesh.RequestShared {
			t.Errorf("table without a flag: got %s, want SHARED", r.Status)
		}
	})
}

func TestDuplicateReturnsOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		again, created, err := f.svc.CreateRequest(consumerBob, sharing.RequestInput{Database: "sales", Table: "orders", Justification: "me too"})
		if err != nil || created || again.ID != r.ID {
			t.Fatalf("asking again: got %v, created %v, %v; want request %d", again, created, err, r.ID)
		}
		// bob may not see ann's request (TestVisibility): he learns that it
		// is open and what it asks for, not who made it or why
		if again.Status != mesh.RequestPendingApproval || again.Database != "sales" || again.Table != "orders" ||
			again.TargetAccount != consumer || again.Permissions != r.Permissions {
			t.Errorf("another member asking again: got %+v, want the open request's resource, target, permissions and status", again)
		}
		if again.RequesterUser != "" || again.Justification != "" || again.ExecutionID != "" {
			t.Errorf("another member asking again sees requester %q, justification %q, execution %q; want none of them",
				again.RequesterUser, again.Justification, again.ExecutionID)
		}
		// her account's admin, who sees it, gets it whole
		if whole, _, err := f.svc.CreateRequest(consumerAdmin, sharing.RequestInput{Database: "sales", Table: "orders", Justification: "x"}); err != nil ||
			whole.ID != r.ID || whole.RequesterUser != "ann" || whole.Justification != r.Justification {
			t.Errorf("the account's admin asking again: got %+v, %v; want request %d whole", whole, err, r.ID)
		}
		// concurrent askers in one batch get one request between them
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		for i := range ids {
			wg.Go(func() {
				r, _, err := f.svc.CreateRequest(consumerAnn, sharing.RequestInput{Database: "hr", Table: "people", Justification: "x"})
				if err != nil {
					t.Errorf("concurrent: %v", err)
					return
				}
				ids[i] = r.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent requests: got ids %v, want one", ids)
			}
		}
		all, err := f.svc.FindRequests(meshAdmin, sharing.RequestFilter{})
		if err != nil || len(all) != 2 {
			t.Errorf("requests: got %d, %v; want 2", len(all), err)
		}
	})
}

// TestDuplicatesInOneBatch: askers whose starts share a transaction with
// the start of the request they duplicate get that request as its
// transaction committed it (SHARED or PENDING_APPROVAL), not as they found
// it before its first steps (SUBMITTED).
func TestDuplicatesInOneBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		// hold one start's transaction in its approval task, so that the
		// creates below wait together for the next one
		reg := f.engine.Registry()
		approval := f.svc.ApprovalTask()
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		reg.Register(sharing.ResourceApproval, func(ctx context.Context, tx store.Tx, input any) (any, error) {
			once.Do(func() { close(entered); <-release })
			return approval(ctx, tx, input)
		})
		reg.Protect(sharing.ResourceApproval)
		first := make(chan error, 1)
		go func() {
			_, _, err := f.svc.CreateRequest(consumerAnn, sharing.RequestInput{Database: "sales", Table: "orders", Justification: "x"})
			first <- err
		}()
		<-entered
		// four ask for hr.people (personal data: waits for approval), four
		// for marketing.campaigns (none: shared at once)
		rs := make([]*mesh.AccessRequest, 8)
		var wg sync.WaitGroup
		for i := range rs {
			in := sharing.RequestInput{Database: "hr", Table: "people", Justification: "x"}
			if i%2 == 1 {
				in.Database, in.Table = "marketing", "campaigns"
			}
			wg.Go(func() {
				r, _, err := f.svc.CreateRequest(consumerAnn, in)
				if err != nil {
					t.Errorf("create %d: %v", i, err)
				}
				rs[i] = r
			})
		}
		for f.engine.StartsWaiting() < len(rs) {
			time.Sleep(time.Millisecond)
		}
		close(release)
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		ids := map[int64]bool{}
		for i, r := range rs {
			if r == nil {
				continue
			}
			ids[r.ID] = true
			if stored := f.get(r.ID).Status; r.Status != stored || stored == mesh.RequestSubmitted {
				t.Errorf("asker %d: got request %d (%s.%s) %s, stored %s", i, r.ID, r.Database, r.Table, r.Status, stored)
			}
		}
		if len(ids) != 2 {
			t.Errorf("got requests %v, want two, one a resource", ids)
		}
	})
}

func TestConcurrentDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ctx := range []context.Context{approver, approver2} {
			wg.Go(func() { _, errs[i] = f.decide(ctx, r.ID, i == 0, "decision") })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var me *mesh.Error
			switch {
			case err == nil:
				won++
			case errors.As(err, &me) && me.Code == mesh.ECONFLICT:
				ap, ok := me.Details.(*mesh.Approval)
				if !ok || ap.Decision == nil {
					t.Errorf("the loser's conflict: got details %#v, want the recorded decision", me.Details)
				}
			default:
				t.Errorf("decision: got %v, want success or conflict", err)
			}
		}
		if won != 1 {
			t.Fatalf("got %d winners, want exactly 1 (%v)", won, errs)
		}
		if v := f.get(r.ID); v.Status != mesh.RequestShared && v.Status != mesh.RequestDenied {
			t.Errorf("got %s, want SHARED or DENIED", v.Status)
		}
	})
}

func TestGenericTaskAPIRefusesApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		tok := f.token(r.ID)
		if err := f.engine.SendTaskSuccess(consumerAnn, tok, nil); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("task success: got %v, want forbidden", err)
		}
		if err := f.engine.SendTaskFailure(consumerAnn, tok, "X", ""); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("task failure: got %v, want forbidden", err)
		}
		f.wantStatus(r.ID, mesh.RequestPendingApproval)
	})
}

func TestNobodyDecidesTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		// a mesh admin may request for any account, and decide others' requests, not this one
		r := f.request(meshAdmin, "sales", "orders", func(in *sharing.RequestInput) { in.TargetAccount = consumer })
		if _, err := f.decide(meshAdmin, r.ID, true, ""); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("self-approval: got %v, want forbidden", err)
		}
		f.wantStatus(r.ID, mesh.RequestPendingApproval)
	})
}

func TestFailedTaskFailsRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		// the target account goes before the approval: the grant fails
		if err := s.Update(f.ctx, func(tx store.Tx) error { return tx.DeleteAccount(f.ctx, consumer) }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.decide(approver, r.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		v := f.wantStatus(r.ID, mesh.RequestFailed)
		if v.Error != sharing.ErrGrantFailed || v.Cause == "" {
			t.Errorf("got %s: %s, want %s with its cause", v.Error, v.Cause, sharing.ErrGrantFailed)
		}
	})
}

func TestBadRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		tests := []struct {
			name  string
			ctx   context.Context
			in    sharing.RequestInput
			code  string
			field string
		}{
			{"no justification", consumerAnn, sharing.RequestInput{Database: "sales", Justification: "  "}, mesh.EINVALID, "justification"},
			{"long justification", consumerAnn, sharing.RequestInput{Database: "sales", Justification: strings.Repeat("x", mesh.MaxJustificationLen+1)}, mesh.EINVALID, "justification"},
			{"NUL in justification", consumerAnn, sharing.RequestInput{Database: "sales", Justification: "reports\x00"}, mesh.EINVALID, "justification"},
			{"justification not UTF-8", consumerAnn, sharing.RequestInput{Database: "sales", Justification: "reports \xff"}, mesh.EINVALID, "justification"},
			{"unknown database", consumerAnn, sharing.RequestInput{Database: "nope", Justification: "x"}, mesh.ENOTFOUND, ""},
			{"unknown table", consumerAnn, sharing.RequestInput{Database: "sales", Table: "nope", Justification: "x"}, mesh.ENOTFOUND, ""},
			{"unknown account", meshAdmin, sharing.RequestInput{Database: "sales", TargetAccount: "999988887777", Justification: "x"}, mesh.ENOTFOUND, ""},
			{"another account", consumerAnn, sharing.RequestInput{Database: "sales", TargetAccount: sibling, Justification: "x"}, mesh.EFORBIDDEN, ""},
			{"no data_owner", consumerAnn, sharing.RequestInput{Database: "orphan", Justification: "x"}, mesh.EINVALID, "database"},
			{"own product", producerAdmin, sharing.RequestInput{Database: "sales", Justification: "x"}, mesh.EINVALID, "target_account"},
			{"bad permission", consumerAnn, sharing.RequestInput{Database: "sales", Table: "orders", Permissions: mesh.PermissionsOf(mesh.PermCreateTable), Justification: "x"}, mesh.EINVALID, "permissions"},
			{"negative duration", consumerAnn, sharing.RequestInput{Database: "sales", Duration: -1, Justification: "x"}, mesh.EINVALID, "duration"},
		}
		for _, tt := range tests {
			_, _, err := f.svc.CreateRequest(tt.ctx, tt.in)
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != tt.code || me.Field != tt.field {
				t.Errorf("%s: got %v, want %s on %q", tt.name, err, tt.code, tt.field)
			}
		}
		if all, err := f.svc.FindRequests(meshAdmin, sharing.RequestFilter{}); err != nil || len(all) != 0 {
			t.Errorf("bad requests left %d requests (%v), want 0", len(all), err)
		}
	})
}

// TestBadComments: a decision's comment that is too long or holds NUL or
// bytes that are not UTF-8 is refused naming the field, on both stores
// alike, and decides nothing.
func TestBadComments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "sales", "orders")
		for name, c := range map[string]string{
			"long": strings.Repeat("x", sharing.MaxCommentLen+1), "NUL": "no\x00", "not UTF-8": "no \xff", "escape": "no \x1b[2J",
		} {
			_, err := f.decide(approver, r.ID, false, c)
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != "comment" {
				t.Errorf("%s comment: got %v, want invalid on \"comment\"", name, err)
			}
		}
		f.wantStatus(r.ID, mesh.RequestPendingApproval)
		if _, err := f.decide(approver, r.ID, false, "no customer emails\noutside Sales\t(see policy)"); err != nil {
			t.Errorf("a comment of two lines with a tab: %v", err)
		}
	})
}

func TestVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ann := f.request(consumerAnn, "sales", "orders")
		carl := f.request(siblingCarl, "marketing", "campaigns")
		tests := []struct {
			name string
			ctx  context.Context
			f    sharing.RequestFilter
			want []int64
		}{
			{"requester", consumerAnn, sharing.RequestFilter{}, []int64{ann.ID}},
			{"other member", consumerBob, sharing.RequestFilter{}, nil},
			{"account admin", consumerAdmin, sharing.RequestFilter{}, []int64{ann.ID}},
			{"owner's approver", approver, sharing.RequestFilter{}, []int64{carl.ID, ann.ID}},
			{"owner's member", producerMember, sharing.RequestFilter{}, nil},
			{"mesh admin", meshAdmin, sharing.RequestFilter{}, []int64{carl.ID, ann.ID}},
			{"mesh admin, status", meshAdmin, sharing.RequestFilter{Status: mesh.RequestShared}, []int64{carl.ID}},
			{"mesh admin, mine", meshAdmin, sharing.RequestFilter{Mine: true}, nil},
		}
		for _, tt := range tests {
			got, err := f.svc.FindRequests(tt.ctx, tt.f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var ids []int64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, ids, tt.want)
			}
		}
		if _, err := f.svc.FindRequest(consumerBob, ann.ID); !mesh.IsCode(err, mesh.EFORBIDDEN) {
			t.Errorf("another member reads ann's request: got %v, want forbidden", err)
		}
		if _, err := f.svc.FindRequests(consumerAnn, sharing.RequestFilter{Status: "BOGUS"}); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("bad status: got %v, want invalid", err)
		}
	})
}

// TestExpiryOnTwoReplicas: two replicas sweeping at once end a request once,
// neither failing.
func TestExpiryOnTwoReplicas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		_, _, other := f.services()
		var ids []int64
		for _, db := range []string{"marketing", "hr"} {
			r := f.request(siblingCarl, db, map[string]string{"marketing": "campaigns", "hr": "teams"}[db],
				func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
			ids = append(ids, r.ID)
		}
		f.clock.Add(time.Hour)
		var wg sync.WaitGroup
		ended := make([]int, 2)
		errs := make([]error, 2)
		for i, svc := range []*sharing.Service{f.svc, other} {
			wg.Go(func() { ended[i], errs[i] = svc.ExpireOnce(f.ctx) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("sweeps: got %v", errs)
		}
		if ended[0]+ended[1] != 2 {
			t.Errorf("ended %v, want the two requests ended between them", ended)
		}
		for _, id := range ids {
			f.wantStatus(id, mesh.RequestExpired)
		}
	})
}

// TestReplacedStateMachine: an edited definition runs new requests (a
// machine that ends without sharing leaves them FAILED, never open); a
// restart keeps the edit; a rollback brings the default back.
func TestReplacedStateMachine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		_, err := f.engine.UpdateStateMachine(meshAdmin, workflow.StateMachineInput{Name: sharing.DefaultStateMachine,
			Definition: json.RawMessage(`{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}`)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.EnsureStateMachine(f.ctx); err != nil {
			t.Fatal(err)
		}
		r := f.request(siblingCarl, "marketing", "campaigns")
		if r.Status != mesh.RequestFailed || r.Error != "Sharing.NotShared" || r.StateMachineVersion != 2 {
			t.Errorf("got %s (%s) on version %d, want FAILED Sharing.NotShared on version 2", r.Status, r.Error, r.StateMachineVersion)
		}
		if _, err := f.engine.RollbackStateMachine(meshAdmin, sharing.DefaultStateMachine, 1); err != nil {
			t.Fatal(err)
		}
		if r := f.request(siblingCarl, "marketing", "campaigns"); r.Status != mesh.RequestShared || r.StateMachineVersion != 3 {
			t.Errorf("after the rollback: got %s on version %d, want SHARED on version 3", r.Status, r.StateMachineVersion)
		}
	})
}

// TestEndingOneRequestKeepsAnother: requests of one account for one table
// share a grant; when one ends, the permissions another shared request
// still asks for stay, and the last one's end takes the grant and share.
func TestEndingOneRequestKeepsAnother(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		hour := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
		lasting := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) {
			in.Permissions = mesh.PermissionsOf(mesh.PermSelect)
		})
		if hour.Status != mesh.RequestShared || lasting.Status != mesh.RequestShared || hour.GrantID != lasting.GrantID {
			t.Fatalf("got %s on grant %d and %s on grant %d, want both SHARED on one grant", hour.Status, hour.GrantID, lasting.Status, lasting.GrantID)
		}
		f.clock.Add(time.Hour)
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 1 {
			t.Fatalf("at expiry: ended %d, %v; want 1", n, err)
		}
		f.wantStatus(hour.ID, mesh.RequestExpired)
		v := f.wantStatus(lasting.ID, mesh.RequestShared)
		var g *mesh.Grant
		err := s.View(f.ctx, func(tx store.Tx) (err error) {
			g, err = tx.FindGrantByResource(f.ctx, sibling, mesh.Resource{Database: "marketing", Table: "campaigns"}, mesh.SourceSharing)
			return err
		})
		if want := mesh.PermissionsOf(mesh.PermSelect); err != nil || g.Permissions != want || g.Grantable != want {
			t.Fatalf("grant after the hour: got %+v, %v; want SELECT with grant option, which the lasting request asked for", g, err)
		}
		if !f.allowed(sibling, "marketing", "campaigns") {
			t.Error("not allowed after the hour, with a request still shared")
		}
		if _, err := f.svc.RevokeRequest(producerAdmin, lasting.ID); err != nil {
			t.Fatal(err)
		}
		f.wantStatus(lasting.ID, mesh.RequestRevoked)
		if f.allowed(sibling, "marketing", "campaigns") {
			t.Error("allowed after the last request was revoked")
		}
		err = s.View(f.ctx, func(tx store.Tx) error {
			_, err := tx.FindShareByID(f.ctx, v.ShareID)
			return err
		})
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("share after the last request ended: got %v, want gone", err)
		}
	})
}

// TestRequestEndKeepsTheOwnersGrant: the owner's admin granted SELECT on a
// table to an account by hand, without end, and the account's request for
// an hour of it was shared too. The workflow's grant is kept apart (source
// @sharing), so the request's end takes back what the request gave and the
// grant made by hand stays; a revocation by hand still ends the request.
func TestRequestEndKeepsTheOwnersGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		res := mesh.Resource{Database: "marketing", Table: "campaigns"}
		hand, err := f.access.Grant(producerAdmin, access.GrantInput{Principal: mesh.Principal(sibling), Resource: res,
			Permissions: mesh.PermissionsOf(mesh.PermSelect)})
		if err != nil {
			t.Fatal(err)
		}
		r := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
		v := f.wantStatus(r.ID, mesh.RequestShared)
		if v.GrantID == hand.ID {
			t.Fatalf("the request's grant is the one made by hand (%d)", hand.ID)
		}
		f.clock.Add(time.Hour)
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 1 {
			t.Fatalf("expire: ended %d, %v; want 1", n, err)
		}
		f.wantStatus(r.ID, mesh.RequestExpired)
		if !f.allowed(sibling, "marketing", "campaigns") {
			t.Errorf("the request's end took the SELECT granted by hand (grant %d)", hand.ID)
		}
		var gs []*mesh.Grant
		err = s.View(f.ctx, func(tx store.Tx) (err error) {
			gs, err = tx.FindGrants(f.ctx, store.GrantFilter{Principal: sibling, Database: "marketing"})
			return err
		})
		if err != nil || len(gs) != 1 || gs[0].ID != hand.ID || gs[0].Permissions != mesh.PermissionsOf(mesh.PermSelect) {
			t.Errorf("grants after the end: got %+v, %v; want the one made by hand alone", gs, err)
		}

		// asked again, and the owner's admin revokes SELECT by hand: both go
		again := f.request(siblingCarl, "marketing", "campaigns")
		f.wantStatus(again.ID, mesh.RequestShared)
		if _, err := f.access.Revoke(producerAdmin, access.GrantInput{Principal: mesh.Principal(sibling), Resource: res,
			Permissions: mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)}); err != nil {
			t.Fatal(err)
		}
		f.wantStatus(again.ID, mesh.RequestRevoked)
		if f.allowed(sibling, "marketing", "campaigns") {
			t.Error("allowed after the owner's admin revoked by hand")
		}
	})
}

// TestOldRequestOnOwnersGrantTakesNothing: a request shared before the
// workflow's grants had a source of their own, whose grant the migration
// left the owner's (it may hold a hand grant too), ends without taking
// anything back: neither from that grant nor from the @sharing grant a
// later request of the same account shares through.
func TestOldRequestOnOwnersGrantTakesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		res := mesh.Resource{Database: "marketing", Table: "campaigns"}
		hand, err := f.access.Grant(producerAdmin, access.GrantInput{Principal: mesh.Principal(sibling), Resource: res,
			Permissions: mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)})
		if err != nil {
			t.Fatal(err)
		}
		old := f.request(siblingCarl, "marketing", "campaigns")
		f.wantStatus(old.ID, mesh.RequestShared)
		// as the migration left it: shared through the owner's grant
		err = s.Update(f.ctx, func(tx store.Tx) error {
			r, err := tx.FindAccessRequest(f.ctx, old.ID)
			if err != nil {
				return err
			}
			r.GrantID = hand.ID
			return tx.UpdateAccessRequest(f.ctx, r, mesh.RequestShared)
		})
		if err != nil {
			t.Fatal(err)
		}
		later := f.request(as(sibling, "dora", mesh.RoleMember), "marketing", "campaigns")
		lv := f.wantStatus(later.ID, mesh.RequestShared)
		if _, err := f.svc.RevokeRequest(producerAdmin, old.ID); err != nil {
			t.Fatal(err)
		}
		f.wantStatus(old.ID, mesh.RequestRevoked)
		f.wantStatus(later.ID, mesh.RequestShared)
		err = s.View(f.ctx, func(tx store.Tx) error {
			for _, id := range []int64{hand.ID, lv.GrantID} {
				if g, err := tx.FindGrantByID(f.ctx, id); err != nil || g.Permissions != mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe) {
					t.Errorf("grant %d: got %+v, %v; want it as it was", id, g, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestEndingTwoRequestsAtOnce: on PostgreSQL, two transactions ending the
// two shared requests of one grant at once: the second waits for the first,
// sees its request ended, and takes the grant back.
func TestEndingTwoRequestsAtOnce(t *testing.T) {
	db, name := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	r1 := f.request(siblingCarl, "marketing", "campaigns")
	r2 := f.request(siblingCarl, "marketing", "campaigns")
	if r1.Status != mesh.RequestShared || r2.Status != mesh.RequestShared || r1.GrantID != r2.GrantID {
		t.Fatalf("got %s on grant %d and %s on grant %d, want both SHARED on one grant", r1.Status, r1.GrantID, r2.Status, r2.GrantID)
	}
	ended, proceed := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Update(producerAdmin, func(tx store.Tx) error {
			if err := f.svc.EndSharedTx(producerAdmin, tx, r1); err != nil {
				return err
			}
			close(ended)
			<-proceed
			return nil
		})
	}()
	<-ended
	second, done := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(done)
		_, err := f.svc.RevokeRequest(producerAdmin, r2.ID)
		second <- err
	}()
	storetest.WaitForLock(t, db, name, done) // the second waits, or has ended without seeing the first
	close(proceed)
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second: %v", err)
	}
	f.wantStatus(r1.ID, mesh.RequestRevoked)
	f.wantStatus(r2.ID, mesh.RequestRevoked)
	if f.allowed(sibling, "marketing", "campaigns") {
		t.Error("allowed after both requests ended")
	}
	err := db.View(f.ctx, func(tx store.Tx) error {
		_, err := tx.FindGrantByID(f.ctx, r1.GrantID)
		return err
	})
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("the grant after both requests ended: got %v, want gone", err)
	}
}

// TestApprovalMessageShowsStoredExpiry: the approval request's message
// carries the approval's expiry as the store keeps it (PostgreSQL keeps
// microseconds), although it is built from the approval just recorded
// rather than read back.
func TestApprovalMessageShowsStoredExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		n := notify.NewService(s, notify.Options{LinkKey: []byte("a test link key of 32 bytes....."),
			Channels: map[string]notify.Channel{notify.ProtocolEmail: nil}})
		f := newFixtureNotify(t, s, n)
		now := f.clock.Now()
		err := s.Update(f.ctx, func(tx store.Tx) error {
			if err := n.CreateTopic(f.ctx, tx, &mesh.Account{ID: producer}); err != nil {
				return err
			}
			tp, err := tx.FindTopicByAccount(f.ctx, producer)
			if err != nil {
				return err
			}
			return tx.CreateSubscription(f.ctx, &store.Subscription{TopicID: tp.ID, AccountID: producer, Protocol: notify.ProtocolEmail,
				Endpoint: "ops@example.com", Status: store.SubscriptionConfirmed, CreatedBy: "test", CreatedAt: now, ConfirmedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(123456789 * time.Nanosecond) // finer than either store keeps
		r := f.request(consumerAnn, "sales", "orders")
		var ap *mesh.Approval
		var ds []*store.Delivery
		err = s.View(f.ctx, func(tx store.Tx) (err error) {
			if ap, err = tx.FindApproval(f.ctx, r.ID); err != nil {
				return err
			}
			ds, err = tx.FindDeliveries(f.ctx, store.DeliveryFilter{AccountID: producer})
			return err
		})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: got %d, %v; want the approval request", len(ds), err)
		}
		var p struct {
			Message struct {
				Data struct {
					Expires time.Time `json:"approval_expires_at"`
				} `json:"data"`
			} `json:"message"`
		}
		if err := json.Unmarshal(ds[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if got := p.Message.Data.Expires; !got.Equal(ap.ExpiresAt) || ap.ExpiresAt.IsZero() {
			t.Errorf("message's approval_expires_at %v, stored approval's %v: want the same", got, ap.ExpiresAt)
		}
	})
}

// TestDecideAfterTheEndNamesStatus: deciding a request whose approval ended
// answers 409 with the request's current status, not only the approval's:
// an approval APPROVED whose access was revoked since, or one CANCELLED
// with a request that FAILED; the conflict carries the approval, with its
// decision, and the request.
func TestDecideAfterTheEndNamesStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		revoked := f.request(consumerAnn, "sales", "orders")
		if _, err := f.decide(approver, revoked.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RevokeRequest(consumerAdmin, revoked.ID); err != nil {
			t.Fatal(err)
		}
		failed := f.request(consumerAnn, "hr", "people")
		if _, err := f.engine.StopExecution(meshAdmin, failed.ExecutionID, "Ops.Stopped", "by hand"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			id               int64
			approval, status string
		}{{revoked.ID, mesh.ApprovalApproved, mesh.RequestRevoked}, {failed.ID, mesh.ApprovalCancelled, mesh.RequestFailed}} {
			_, err := f.decide(approver2, tt.id, false, "late")
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.ECONFLICT || !strings.Contains(me.Message, tt.approval) || !strings.Contains(me.Message, tt.status) {
				t.Errorf("decide request %d: got %v, want a conflict naming the approval %s and the request %s", tt.id, err, tt.approval, tt.status)
				continue
			}
			ap, ok := me.Details.(*mesh.Approval)
			if !ok || ap.Status != tt.approval || ap.Request == nil || ap.Request.Status != tt.status {
				t.Errorf("decide request %d: got details %#v, want the approval %s with its request %s", tt.id, me.Details, tt.approval, tt.status)
			}
		}
	})
}

// TestEndWithoutErrorStillSaysWhy: an execution that ends with no error
// name (stopped by hand without one, or a replaced machine's Fail state
// naming none) leaves its request FAILED with an error and cause that say
// how it ended, where the request showed FAILED and nothing else.
func TestEndWithoutErrorStillSaysWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		stopped := f.request(consumerAnn, "sales", "orders")
		if _, err := f.engine.StopExecution(meshAdmin, stopped.ExecutionID, "", ""); err != nil {
			t.Fatal(err)
		}
		if v := f.wantStatus(stopped.ID, mesh.RequestFailed); v.Error != sharing.ErrExecutionAborted || !strings.Contains(v.Cause, "stopped") {
			t.Errorf("stopped without an error: got %q: %q, want %s saying it was stopped", v.Error, v.Cause, sharing.ErrExecutionAborted)
		}
		_, err := f.engine.UpdateStateMachine(meshAdmin, workflow.StateMachineInput{Name: sharing.DefaultStateMachine,
			Definition: json.RawMessage(`{"StartAt": "No", "States": {"No": {"Type": "Fail"}}}`)})
		if err != nil {
			t.Fatal(err)
		}
		r := f.request(siblingCarl, "marketing", "campaigns")
		if r.Status != mesh.RequestFailed || r.Error != sharing.ErrExecutionFailed || r.Cause == "" {
			t.Errorf("a Fail state naming no error: got %s %q: %q, want FAILED %s with a cause", r.Status, r.Error, r.Cause, sharing.ErrExecutionFailed)
		}
		for _, id := range []int64{stopped.ID, r.ID} {
			for _, n := range f.get(id).Notifications {
				if n.Event == "request.failed" && strings.Contains(n.Body, "()") {
					t.Errorf("request %d: the requester is told %q, with no reason", id, n.Body)
				}
			}
		}
	})
}

// TestRequestWhileTheStateMachineIsDeleted: with the workflow's state
// machine deleted by a mesh admin, a request is refused as unavailable,
// saying how the machine comes back, where it answered 404 as if the
// request's resource were unknown; once the machine is back, requests
// work again.
func TestRequestWhileTheStateMachineIsDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		if err := f.engine.DeleteStateMachine(meshAdmin, sharing.DefaultStateMachine, true); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.CreateRequest(consumerAnn, sharing.RequestInput{Database: "marketing", Table: "campaigns", Justification: "the report"})
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.EUNAVAILABLE || !strings.Contains(me.Message, "deleted") || !strings.Contains(me.Message, "workflow create") {
			t.Errorf("request with the state machine deleted: got %v, want unavailable saying it was deleted and how it comes back", err)
		}
		if err := f.svc.EnsureStateMachine(f.ctx); err != nil {
			t.Fatal(err)
		}
		if r := f.request(consumerAnn, "marketing", "campaigns"); r.Status != mesh.RequestShared {
			t.Errorf("request once the machine is back: got %s, want %s", r.Status, mesh.RequestShared)
		}
	})
}

// TestExpiryWarningLead: the requester of a time-bound grant is warned
// --expiry-warning before it ends, but at most half its duration before
// (a two-hour grant an hour before, not as soon as it starts, with the
// default of a day); a negative setting warns of nothing, and the grant
// still expires.
func TestExpiryWarningLead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		warnings := func(svc *sharing.Service, id int64) int {
			t.Helper()
			v, err := svc.FindRequest(meshAdmin, id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range v.Notifications {
				if m.Event == "request.expiring" {
					n++
				}
			}
			return n
		}
		expire := func(f *fixture, svc *sharing.Service) {
			t.Helper()
			if _, err := svc.ExpireOnce(f.ctx); err != nil {
				t.Fatal(err)
			}
		}

		f := newFixture(t, s)
		if got := f.svc.Config().ExpiryWarning; got != 24*time.Hour {
			t.Fatalf("default expiry warning: got %s, want 24h", got)
		}
		r := f.request(siblingCarl, "marketing", "campaigns", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(2 * time.Hour) })
		expire(f, f.svc)
		f.clock.Add(time.Hour - time.Second)
		expire(f, f.svc)
		if n := warnings(f.svc, r.ID); n != 0 {
			t.Errorf("two-hour grant, after 59m59s: got %d warnings, want none before half its duration", n)
		}
		f.clock.Add(time.Second)
		expire(f, f.svc)
		if n := warnings(f.svc, r.ID); n != 1 {
			t.Errorf("two-hour grant, an hour before its end: got %d warnings, want 1", n)
		}

		never := sharing.New(f.store, f.clock, sharing.Config{CentralAccountID: central, ExpiryWarning: -1}, f.engine, f.access)
		r2 := f.request(consumerAnn, "hr", "teams", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(48 * time.Hour) })
		f.clock.Add(47 * time.Hour)
		expire(f, never)
		f.clock.Add(time.Hour)
		expire(f, never)
		f.wantStatus(r2.ID, mesh.RequestExpired)
		if n := warnings(never, r2.ID); n != 0 {
			t.Errorf("expiry warning negative: got %d warnings, want none", n)
		}
	})
}

// TestExpiryEndsWhatTheConsumerGranted: a time-bound share's end takes
// with it what the consumer's admin granted its users through the resource
// link: a user's access does not outlive the account's.
func TestExpiryEndsWhatTheConsumerGranted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		r := f.request(consumerAnn, "hr", "teams", func(in *sharing.RequestInput) { in.Duration = mesh.Duration(time.Hour) })
		f.wantStatus(r.ID, mesh.RequestShared)
		invs, _, err := f.access.ListInvitations(consumerAdmin, access.InvitationFilter{Status: mesh.InvitationPending})
		if err != nil || len(invs) != 1 {
			t.Fatalf("invitations: got %d, %v; want 1", len(invs), err)
		}
		if _, err := f.access.AcceptInvitation(consumerAdmin, invs[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		teams := mesh.Resource{Database: "hr", Table: "teams"}
		if _, err := f.access.Grant(consumerAdmin, access.GrantInput{Principal: mesh.Principal(consumer + "/ann"), Resource: teams,
			Permissions: mesh.PermissionsOf(mesh.PermSelect)}); err != nil {
			t.Fatal(err)
		}
		if !f.allowed(consumer+"/ann", "hr", "teams") {
			t.Fatal("ann: got denied through the link, want allowed")
		}
		f.clock.Add(time.Hour)
		if n, err := f.svc.ExpireOnce(f.ctx); err != nil || n != 1 {
			t.Fatalf("expire: ended %d, %v; want 1", n, err)
		}
		f.wantStatus(r.ID, mesh.RequestExpired)
		if f.allowed(consumer+"/ann", "hr", "teams") || f.allowed(consumer, "hr", "teams") {
			t.Error("after the expiry: got the account or ann allowed, want neither")
		}
		var gs []*mesh.Grant
		err = s.View(f.ctx, func(tx store.Tx) (err error) {
			gs, err = tx.FindGrants(f.ctx, store.GrantFilter{Database: "hr"})
			return err
		})
		if err != nil || len(gs) != 0 {
			t.Errorf("grants on hr after the expiry: got %+v, %v; want none", gs, err)
		}
	})
}
