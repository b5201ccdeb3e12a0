package access_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// keys returns the "kind/id" of each line, checking the line's form.
func keys(t *testing.T, lines []string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		key, desc, ok := strings.Cut(l, ": ")
		if !ok || desc == "" || !strings.Contains(key, "/") {
			t.Errorf("got %q, want kind/id: description", l)
		}
		out = append(out, key)
	}
	return out
}

// TestOffboardEndsWhatStemsFromProducts: offboarding a producer lists and
// then ends every grant, share, pending invitation and link of its
// products, once each; a pending invitation can no longer be accepted; what
// the consumers hold of other producers stays.
func TestOffboardEndsWhatStemsFromProducts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		pending := f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		active := f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermSelect), 0))
		own := f.grant(producerAdmin, in(producer+"/bob", orders(), set(mesh.PermSelect), 0))
		f.grant(meshAdmin, in(sibling, mesh.Resource{Database: "hr", Table: "people"}, set(mesh.PermSelect), 0))

		var deps, siblingDeps []string
		err := s.View(ctx, func(tx store.Tx) (err error) {
			if deps, err = f.svc.OffboardDependents(ctx, tx, producer); err != nil {
				return err
			}
			siblingDeps, err = f.svc.OffboardDependents(ctx, tx, sibling)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := keys(t, deps)
		want := []string{"grant/1", "grant/2", "grant/3", "share/1", "share/2", "invitation/1", "link/" + sibling + "/sales"}
		if pending.ID != 1 || active.ID != 2 || own.ID != 3 || !slices.Equal(got, want) {
			t.Errorf("producer: got %v, want %v", got, want)
		}
		got = keys(t, siblingDeps)
		want = []string{"grant/2", "grant/4", "share/2", "share/3", "link/" + sibling + "/sales", "link/" + sibling + "/hr"}
		if !slices.Equal(got, want) {
			t.Errorf("consumer: got %v, want %v", got, want)
		}

		var ended []string
		err = s.Update(meshAdmin, func(tx store.Tx) (err error) {
			ended, err = f.svc.Offboard(meshAdmin, tx, producer, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(t, ended); len(got) != len(deps) {
			t.Errorf("got %v ended, want the %d dependents", ended, len(deps))
		}
		var invs []*mesh.Invitation
		s.View(ctx, func(tx store.Tx) (err error) {
			invs, err = tx.FindInvitations(ctx, store.InvitationFilter{AccountID: outsider})
			return err
		})
		if len(invs) != 1 || invs[0].Status != mesh.InvitationWithdrawn {
			t.Fatalf("got %+v, want the invitation withdrawn", invs)
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, "")
		wantCode(t, err, mesh.ECONFLICT, "withdrawn")
		if f.allowed(outsider, mesh.PermSelect, orders()) || f.allowed(sibling, mesh.PermSelect, mesh.Resource{Database: "sales", Table: "items"}) ||
			f.allowed(producer+"/bob", mesh.PermSelect, orders()) {
			t.Error("after the offboarding: got a grant of the producer's products still allowing")
		}
		if !f.allowed(sibling, mesh.PermSelect, mesh.Resource{Database: "hr", Table: "people"}) {
			t.Error("the consumer's share of another producer: got denied, want kept")
		}
		if n := f.audited("access.withdraw-invitation"); n != 1 {
			t.Errorf("got %d withdrawals audited, want 1", n)
		}
		if n := f.audited("access.revoke-cascade"); n != 3 {
			t.Errorf("got %d revocations audited, want 3", n)
		}
	})
}

// TestUserDeleteEndsItsGrants: deleting a user ends the grants it holds,
// and what it granted from its grant option, each audited; other users'
// grants stay, and the decisions follow before the deletion returns.
func TestUserDeleteEndsItsGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice, carol, dave := sibling+"/"+aliceName, sibling+"/carol", sibling+"/dave"
		carolCtx := as(sibling, "carol", mesh.RoleMember)
		items := mesh.Resource{Database: "sales", Table: "items"}
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect, mesh.PermInsert)))
		f.grant(producerAdmin, in(sibling, items, set(mesh.PermSelect), set(mesh.PermSelect)))
		f.grant(siblingAdmin, in(carol, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
		f.grant(siblingAdmin, in(carol, items, set(mesh.PermSelect), 0))
		f.grant(carolCtx, in(alice, orders(), set(mesh.PermSelect), 0))
		f.grant(siblingAdmin, in(dave, orders(), set(mesh.PermInsert), 0))

		err := s.Update(siblingAdmin, func(tx store.Tx) error {
			return f.svc.OnUserDelete(siblingAdmin, tx, sibling, "carol")
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			principal string
			r         mesh.Resource
			want      bool
		}{
			{carol, orders(), false},
			{carol, items, false},
			{alice, orders(), false}, // granted from carol's grant option
			{dave, orders(), false},  // never held SELECT
			{sibling, orders(), true},
		} {
			if got := f.allowed(c.principal, mesh.PermSelect, c.r); got != c.want {
				t.Errorf("%s SELECT on %s after carol's deletion: got allowed %v, want %v", c.principal, c.r, got, c.want)
			}
		}
		if !f.allowed(dave, mesh.PermInsert, orders()) {
			t.Error("dave's own grant: got denied, want kept")
		}
		gs, _, err := f.svc.ListGrants(meshAdmin, access.GrantFilter{Database: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if g.Principal == mesh.Principal(carol) || g.Source == mesh.Principal(carol) {
				t.Errorf("got grant %d to %s from %q still stored, want it ended with carol", g.ID, g.Principal, g.Source)
			}
		}
		if got := f.auditDetails("access.revoke-cascade"); len(got) != 3 {
			t.Errorf("got revocations audited %q, want 3 (carol's two, alice's from carol)", got)
		}
		// A later replica loads no trace of them either.
		g := newFixture(t, s)
		if g.allowed(carol, mesh.PermSelect, orders()) {
			t.Error("a fresh index: got carol's SELECT allowed after her deletion")
		}
	})
}
