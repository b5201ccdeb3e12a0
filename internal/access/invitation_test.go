package access_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// invitations lists every invitation the caller may see of account (its own
// when empty) in status ("" for any), following the pages.
func (f *fixture) invitations(ctx context.Context, account, status string) ([]*mesh.Invitation, error) {
	f.t.Helper()
	var out []*mesh.Invitation
	filter := access.InvitationFilter{AccountID: account, Status: status}
	for {
		invs, next, err := f.svc.ListInvitations(ctx, filter)
		if err != nil {
			return nil, err
		}
		out = append(out, invs...)
		if next == 0 {
			return out, nil
		}
		filter.BeforeID = next
	}
}

func (f *fixture) share(account, database, table string) *mesh.Share {
	f.t.Helper()
	var sh *mesh.Share
	err := f.store.View(context.Background(), func(tx store.Tx) (err error) {
		sh, err = tx.FindShare(context.Background(), account, database, table)
		return err
	})
	if err != nil {
		f.t.Fatalf("share of %s with %s: %v", database, account, err)
	}
	return sh
}

// TestOldInvitationCannotReopenShare: once a newer invitation replaced an
// expired one and was accepted, the old one can be neither resent, nor
// accepted (which made a second link), nor rejected (which marked the
// active share rejected): each is a conflict naming the current invitation.
func TestOldInvitationCannotReopenShare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		db := mesh.Resource{Database: "sales"}
		f.grant(producerAdmin, in(outsider, db, set(mesh.PermDescribe), 0))
		first, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(first) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(first))
		}
		old := first[0].ID
		f.clock.Add(12*time.Hour + time.Second)
		// Granting again offers the expired share anew.
		f.grant(producerAdmin, in(outsider, db, set(mesh.PermDescribe), 0))
		pending, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(pending) != 1 || pending[0].ID == old {
			t.Fatalf("got pending %+v, want one new invitation", pending)
		}
		current := pending[0].ID
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, current, ""); err != nil {
			t.Fatal(err)
		}

		naming := fmt.Sprintf("invitation %d is", current)
		_, err := f.svc.ResendInvitation(producerAdmin, old)
		wantCode(t, err, mesh.ECONFLICT, naming)
		if e := err.(*mesh.Error); e.Details.(map[string]any)["current_id"] != current {
			t.Errorf("got details %v, want current_id %d", e.Details, current)
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, old, "")
		wantCode(t, err, mesh.ECONFLICT, naming)
		_, err = f.svc.RejectInvitation(outsiderAdmin, old)
		wantCode(t, err, mesh.ECONFLICT, naming)

		links, _ := f.svc.ListLinks(outsiderAdmin, outsider)
		if len(links) != 1 {
			t.Errorf("got %d links, want 1: %+v", len(links), links)
		}
		if sh := f.share(outsider, "sales", ""); sh.Status != mesh.ShareActive {
			t.Errorf("got share %s, want active", sh.Status)
		}
		if !f.allowed(outsider, mesh.PermDescribe, db) {
			t.Error("got denied, want the accepted share to hold")
		}
		// The current invitation, decided, is a conflict too.
		_, err = f.svc.ResendInvitation(producerAdmin, current)
		wantCode(t, err, mesh.ECONFLICT, "accepted")
	})
}

// TestInvitationFollowsItsShare: when a share ends before its invitation
// is decided (revoked, or its database deleted), the invitation is
// withdrawn, and deciding it is a conflict.
func TestInvitationFollowsItsShare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		f.grant(meshAdmin, in(outsider, mesh.Resource{Database: "hr"}, set(mesh.PermDescribe), 0))
		invs, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(invs) != 2 {
			t.Fatalf("got %d pending invitations, want 2", len(invs))
		}
		f.revoke(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		err := f.store.Update(context.Background(), func(tx store.Tx) error {
			return f.svc.OnCatalogDelete(meshAdmin, tx, "hr", "")
		})
		if err != nil {
			t.Fatal(err)
		}
		all, _ := f.invitations(outsiderAdmin, "", "")
		for _, inv := range all {
			if inv.Status != mesh.InvitationWithdrawn {
				t.Errorf("invitation %d of %s: got %s, want withdrawn", inv.ID, inv.Database, inv.Status)
			}
			_, err := f.svc.AcceptInvitation(outsiderAdmin, inv.ID, "")
			wantCode(t, err, mesh.ECONFLICT, "withdrawn")
			_, err = f.svc.ResendInvitation(meshAdmin, inv.ID)
			wantCode(t, err, mesh.ECONFLICT, "withdrawn")
		}
	})
}

// TestInvitationPages: invitations list newest first in pages, the status
// filter (expiry included) applies across pages, and an unknown status is
// refused.
func TestInvitationPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		for _, r := range []mesh.Resource{orders(), {Database: "sales", Table: "items"}, {Database: "hr"}} {
			f.grant(meshAdmin, in(outsider, r, set(mesh.PermDescribe), 0))
		}
		f.clock.Add(12*time.Hour + time.Second)
		for _, r := range []mesh.Resource{{Database: "sales"}, {Database: "hr", Table: "people"}} {
			f.grant(meshAdmin, in(outsider, r, set(mesh.PermDescribe), 0))
		}
		tests := []struct {
			status string
			want   []string // databases and tables, newest first
		}{
			{"", []string{"hr.people", "sales", "hr", "sales.items", "sales.orders"}},
			{mesh.InvitationPending, []string{"hr.people", "sales"}},
			{mesh.InvitationExpired, []string{"hr", "sales.items", "sales.orders"}},
		}
		for _, tt := range tests {
			var got []string
			filter := access.InvitationFilter{Status: tt.status, Limit: 2}
			pages := 0
			for {
				invs, next, err := f.svc.ListInvitations(outsiderAdmin, filter)
				if err != nil {
					t.Fatal(err)
				}
				if len(invs) > 2 {
					t.Errorf("status %q: got a page of %d, want at most 2", tt.status, len(invs))
				}
				pages++
				for _, inv := range invs {
					name := inv.Database
					if inv.Table != "" {
						name += "." + inv.Table
					}
					got = append(got, name)
				}
				if next == 0 || pages > 10 {
					break
				}
				filter.BeforeID = next
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("status %q: got %v, want %v", tt.status, got, tt.want)
			}
		}
		_, _, err := f.svc.ListInvitations(outsiderAdmin, access.InvitationFilter{Status: "open"})
		wantCode(t, err, mesh.EINVALID, "open")
	})
}

// TestDecidingWithdrawsOlderInvitations: a store may hold two pending
// invitations of one share from before only the current one could be
// decided; deciding the current one withdraws the other.
func TestDecidingWithdrawsOlderInvitations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		first, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(first) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(first))
		}
		older := first[0]
		newer := *older
		newer.ID = 0
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateInvitation(context.Background(), &newer) })
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, older.ID, "")
		wantCode(t, err, mesh.ECONFLICT, fmt.Sprintf("invitation %d is", newer.ID))
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, newer.ID, ""); err != nil {
			t.Fatal(err)
		}
		all, _ := f.invitations(outsiderAdmin, "", "")
		got := map[int64]string{}
		for _, inv := range all {
			got[inv.ID] = inv.Status
		}
		if got[older.ID] != mesh.InvitationWithdrawn || got[newer.ID] != mesh.InvitationAccepted {
			t.Errorf("got %v, want %d withdrawn and %d accepted", got, older.ID, newer.ID)
		}
	})
}

// TestOlderInvitationExpiringLeavesShare: an older pending invitation that
// runs out does not expire its share while the current one is live.
func TestOlderInvitationExpiringLeavesShare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		first, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(first) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(first))
		}
		f.clock.Add(6 * time.Hour)
		newer := *first[0]
		newer.ID, newer.CreatedAt, newer.ExpiresAt = 0, f.clock.Now(), f.clock.Now().Add(12*time.Hour)
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateInvitation(context.Background(), &newer) })
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(7 * time.Hour)
		if n, err := f.svc.ExpireInvitations(context.Background()); err != nil || n != 1 {
			t.Fatalf("sweep: got %d (%v), want 1 expired", n, err)
		}
		if sh := f.share(outsider, "sales", "orders"); sh.Status != mesh.SharePending {
			t.Errorf("got share %s, want pending on its current invitation", sh.Status)
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, newer.ID, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// auditActions returns the actions audited on resource, oldest first.
func (f *fixture) auditActions(resource string) []string {
	f.t.Helper()
	var out []string
	err := f.store.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{Limit: 1000})
		for _, e := range es {
			if e.Resource == resource {
				out = append(out, e.Action)
			}
		}
		return err
	})
	if err != nil {
		f.t.Fatalf("audit of %s: %v", resource, err)
	}
	slices.Reverse(out)
	return out
}

// TestInvitationChangesAreAudited: every change of an invitation's stored
// status is in the audit log, whichever path makes it: an expiry recorded
// by a grant that invites again, a withdrawal by the share's end, and one
// by deciding a newer invitation of the share.
func TestInvitationChangesAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		items := mesh.Resource{Database: "sales", Table: "items"}
		// orders: invited, run out, invited again by a grant, then revoked.
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		f.clock.Add(13 * time.Hour)
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermDescribe), 0))
		f.revoke(producerAdmin, in(outsider, orders(), set(mesh.PermAll), 0))
		// items: two pending invitations (as a store written before only
		// the current one could be decided may hold), the newer accepted.
		f.grant(producerAdmin, in(outsider, items, set(mesh.PermSelect), 0))
		pending, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(pending) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(pending))
		}
		newer := *pending[0]
		newer.ID = 0
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateInvitation(ctx, &newer) }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, newer.ID, ""); err != nil {
			t.Fatal(err)
		}

		all, _ := f.invitations(outsiderAdmin, "", "")
		want := map[string][]string{ // by table, oldest invitation first
			"orders": {"access.invite access.expire-invitation", "access.invite access.withdraw-invitation"},
			"items":  {"access.invite access.withdraw-invitation", "access.accept-invitation"},
		}
		got := map[string][]string{}
		slices.Reverse(all)
		for _, inv := range all {
			got[inv.Table] = append(got[inv.Table], strings.Join(f.auditActions(fmt.Sprintf("invitation/%d", inv.ID)), " "))
		}
		for table, w := range want {
			if !slices.Equal(got[table], w) {
				t.Errorf("%s's invitations: got audited %q, want %q", table, got[table], w)
			}
		}
		// The sweep finds nothing left to record.
		if n, err := f.svc.ExpireInvitations(ctx); err != nil || n != 0 {
			t.Errorf("sweep: got %d (%v), want nothing left to expire", n, err)
		}
	})
}
