package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("access/grants", testAccessGrants)
	register("access/shares", testAccessShares)
	register("access/version", testAccessVersion)
	register("access/grant sources", testAccessGrantSources)
}

// testAccessGrantSources: a principal holds one grant on a resource per
// source, each found by its source.
func testAccessGrantSources(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	orders := mesh.Resource{Database: "sales", Table: "orders"}
	var made []*mesh.Grant
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, source := range []mesh.Principal{"", "333344445555", "333344445555/carol"} {
			g := &mesh.Grant{Principal: "333344445555/alice", Resource: orders, Permissions: mesh.PermissionsOf(mesh.PermSelect),
				Status: mesh.GrantActive, Source: source, GrantedBy: "central/admin", CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateGrant(ctx, g); err != nil {
				t.Fatalf("grant from %q: %v", source, err)
			}
			made = append(made, g)
		}
		again := *made[2]
		again.ID = 0
		if err := tx.CreateGrant(ctx, &again); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("a second grant from %s: got %v, want conflict", again.Source, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, want := range made {
			for name, find := range map[string]func(context.Context, mesh.Principal, mesh.Resource, mesh.Principal) (*mesh.Grant, error){
				"find": tx.FindGrantByResource, "lock": tx.LockGrantByResource,
			} {
				g, err := find(ctx, want.Principal, orders, want.Source)
				if err != nil || g.ID != want.ID || g.Source != want.Source {
					t.Errorf("%s from %q: got %+v, %v; want grant %d", name, want.Source, g, err, want.ID)
				}
			}
		}
		gs, err := tx.FindGrants(ctx, store.GrantFilter{Principal: "333344445555/alice", Database: "sales", Table: "orders"})
		if err != nil || len(gs) != 3 {
			t.Errorf("alice's grants on orders: got %d (%v), want 3", len(gs), err)
		}
		return nil
	})
}

func testAccessGrants(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	newGrant := func(p mesh.Principal, r mesh.Resource, ps ...mesh.Permission) *mesh.Grant {
		return &mesh.Grant{Principal: p, Resource: r.Normalize(), Permissions: mesh.PermissionsOf(ps...),
			Status: mesh.GrantActive, GrantedBy: "central/admin", CreatedAt: now, UpdatedAt: now}
	}
	grants := []*mesh.Grant{
		newGrant("222233334444", mesh.Resource{Database: "sales", Table: "orders"}, mesh.PermSelect),
		newGrant("222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"total", "id"}}, mesh.PermSelect),
		newGrant("222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", ExcludedColumns: []string{"email"}}, mesh.PermSelect),
		newGrant("222233334444", mesh.Resource{Database: "sales", Table: "*"}, mesh.PermDescribe),
		newGrant("333344445555", mesh.Resource{Database: "hr"}, mesh.PermAll),
	}
	grants[1].Source = "222233334444"
	grants[1].Grantable = mesh.PermissionsOf(mesh.PermSelect)
	grants[0].ShareID = 7
	mustUpdate(t, s, func(tx store.Tx) error {
		// Owners, for VisibleTo: 111122223333 owns sales and holds no grant; 444455556666 owns hr.
		for name, owner := range map[string]string{"sales": "111122223333", "hr": "444455556666"} {
			if err := tx.CreateDatabase(ctx, &mesh.Database{Name: name, Parameters: map[string]string{mesh.ParamDataOwner: owner}}); err != nil {
				return err
			}
		}
		for _, g := range grants {
			if err := tx.CreateGrant(ctx, g); err != nil {
				return err
			}
		}
		dup := newGrant("222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}}, mesh.PermInsert)
		dup.Source = "222233334444"
		if err := tx.CreateGrant(ctx, dup); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("same principal, resource and source: got %v, want conflict", err)
		}
		return nil
	})
	mustView(t, s, func(tx store.Tx) error {
		g, err := tx.FindGrantByResource(ctx, "222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}}, "222233334444")
		if err != nil {
			t.Fatalf("find by resource: %v", err)
		}
		if g.ID != grants[1].ID || !slices.Equal(g.Resource.Columns, []string{"id", "total"}) || g.Source != "222233334444" ||
			g.Grantable != mesh.PermissionsOf(mesh.PermSelect) || !g.CreatedAt.Equal(now) || g.GrantedBy != "central/admin" {
			t.Errorf("got %+v, want grant %d round-tripped", g, grants[1].ID)
		}
		if _, err := tx.FindGrantByResource(ctx, "222233334444/alice", mesh.Resource{Database: "sales", Table: "orders"}, "222233334444"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("whole table for alice: got %v, want not found", err)
		}
		if _, err := tx.FindGrantByResource(ctx, "222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}}, ""); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("alice's columns from another source: got %v, want not found", err)
		}
		if _, err := tx.FindGrantByID(ctx, 9999); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("unknown id: got %v, want not found", err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		g, err := tx.LockGrantByResource(ctx, "222233334444/alice", mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}}, "222233334444")
		if err != nil || g.ID != grants[1].ID || g.Source != "222233334444" || g.Grantable != mesh.PermissionsOf(mesh.PermSelect) {
			t.Errorf("lock by resource: got %+v, %v; want grant %d", g, err, grants[1].ID)
		}
		if _, err := tx.LockGrantByResource(ctx, "222233334444/alice", mesh.Resource{Database: "sales", Table: "orders"}, "222233334444"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("lock the whole table for alice: got %v, want not found", err)
		}
		return nil
	})
	ids := func(gs []*mesh.Grant) []int64 {
		var out []int64
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.GrantFilter
		want []int64
	}{
		{"all", store.GrantFilter{}, ids(grants)},
		{"principal", store.GrantFilter{Principal: "222233334444"}, []int64{grants[0].ID, grants[3].ID}},
		{"account", store.GrantFilter{AccountID: "222233334444"}, ids(grants[:4])},
		{"account users", store.GrantFilter{AccountID: "222233334444", UsersOnly: true}, []int64{grants[1].ID, grants[2].ID}},
		{"table", store.GrantFilter{Database: "sales", Table: "orders"}, ids(grants[:3])},
		{"all tables", store.GrantFilter{Database: "sales", Table: "*"}, []int64{grants[3].ID}},
		{"share", store.GrantFilter{ShareID: 7}, []int64{grants[0].ID}},
		{"source", store.GrantFilter{Source: "222233334444"}, []int64{grants[1].ID}},
		{"page", store.GrantFilter{AfterID: grants[1].ID, Limit: 2}, []int64{grants[2].ID, grants[3].ID}},
		{"visible to the grantee account", store.GrantFilter{VisibleTo: "222233334444"}, ids(grants[:4])},
		{"visible to the owner", store.GrantFilter{VisibleTo: "111122223333"}, ids(grants[:4])},
		{"visible to another grantee", store.GrantFilter{VisibleTo: "333344445555"}, []int64{grants[4].ID}},
		{"visible to another owner", store.GrantFilter{VisibleTo: "444455556666"}, []int64{grants[4].ID}},
		{"visible to nobody else", store.GrantFilter{VisibleTo: "999988887777"}, nil},
		{"visible, one database", store.GrantFilter{VisibleTo: "444455556666", Database: "sales"}, nil},
		{"visible, a page", store.GrantFilter{VisibleTo: "111122223333", AfterID: grants[0].ID, Limit: 2}, []int64{grants[1].ID, grants[2].ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []*mesh.Grant
			err := s.View(ctx, func(tx store.Tx) (err error) {
				got, err = tx.FindGrants(ctx, tt.f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("got %v, want %v", ids(got), tt.want)
			}
		})
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		g := grants[0]
		g.Permissions |= mesh.PermInsert.Bit()
		g.Status = mesh.GrantPending
		if err := tx.UpdateGrant(ctx, g); err != nil {
			return err
		}
		got, err := tx.FindGrantByID(ctx, g.ID)
		if err != nil {
			return err
		}
		if got.Permissions != mesh.PermissionsOf(mesh.PermSelect, mesh.PermInsert) || got.Status != mesh.GrantPending {
			t.Errorf("after update: got %s %s, want SELECT,INSERT pending", got.Permissions, got.Status)
		}
		if err := tx.DeleteGrant(ctx, g.ID); err != nil {
			return err
		}
		if err := tx.DeleteGrant(ctx, g.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("second delete: got %v, want not found", err)
		}
		return nil
	})
}

func testAccessShares(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		sh := &mesh.Share{AccountID: "222233334444", Database: "sales", Status: mesh.SharePending, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateShare(ctx, sh); err != nil {
			return err
		}
		if err := tx.CreateShare(ctx, &mesh.Share{AccountID: "222233334444", Database: "sales", Status: mesh.ShareActive, CreatedAt: now, UpdatedAt: now}); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("second share of the same database: got %v, want conflict", err)
		}
		if err := tx.CreateShare(ctx, &mesh.Share{AccountID: "222233334444", Database: "sales", Table: "orders", Status: mesh.ShareActive, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Errorf("share of a table beside its database: got %v, want it stored", err)
		}
		inv := &mesh.Invitation{ShareID: sh.ID, AccountID: "222233334444", Database: "sales", Status: mesh.InvitationPending,
			SentBy: "central/admin", CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)}
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		got, err := tx.FindInvitationByID(ctx, inv.ID)
		if err != nil {
			return err
		}
		if !got.ExpiresAt.Equal(now.Add(12*time.Hour)) || !got.DecidedAt.IsZero() || got.Status != mesh.InvitationPending {
			t.Errorf("got %+v, want a pending invitation expiring at %v", got, now.Add(12*time.Hour))
		}
		got.Status, got.DecidedBy, got.DecidedAt = mesh.InvitationAccepted, "222233334444/admin", now.Add(time.Hour)
		if err := tx.UpdateInvitation(ctx, got); err != nil {
			return err
		}
		invs, err := tx.FindInvitations(ctx, store.InvitationFilter{AccountID: "222233334444", Status: mesh.InvitationAccepted})
		if err != nil {
			return err
		}
		if len(invs) != 1 || !invs[0].DecidedAt.Equal(now.Add(time.Hour)) || invs[0].DecidedBy != "222233334444/admin" {
			t.Errorf("got %+v, want the accepted invitation with its decision", invs)
		}
		sh.Status = mesh.ShareActive
		if err := tx.UpdateShare(ctx, sh); err != nil {
			return err
		}
		found, err := tx.FindShare(ctx, "222233334444", "sales", "")
		if err != nil || found.Status != mesh.ShareActive {
			t.Errorf("got %+v, %v; want the active share", found, err)
		}
		l := &mesh.ResourceLink{AccountID: "222233334444", Name: "sales", Database: "sales", ShareID: sh.ID, CreatedAt: now}
		if err := tx.CreateResourceLink(ctx, l); err != nil {
			return err
		}
		if err := tx.CreateResourceLink(ctx, &mesh.ResourceLink{AccountID: "222233334444", Name: "sales", Database: "hr", ShareID: 99, CreatedAt: now}); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("same link name: got %v, want conflict", err)
		}
		links, err := tx.FindResourceLinks(ctx, "222233334444", 0)
		if err != nil || len(links) != 1 || links[0].Name != "sales" {
			t.Errorf("got %+v, %v; want one link named sales", links, err)
		}
		if links, err := tx.FindResourceLinks(ctx, "", sh.ID+100); err != nil || len(links) != 0 {
			t.Errorf("other share: got %d links, %v; want 0", len(links), err)
		}
		if err := tx.DeleteResourceLink(ctx, l.ID); err != nil {
			return err
		}
		if _, err := tx.FindResourceLink(ctx, "222233334444", "sales"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("deleted link: got %v, want not found", err)
		}
		shares, err := tx.FindShares(ctx, store.ShareFilter{Database: "sales"})
		if err != nil || len(shares) != 2 {
			t.Errorf("got %d shares, %v; want 2", len(shares), err)
		}
		return tx.DeleteShare(ctx, sh.ID)
	})
}

func testAccessVersion(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	grant := func(table string) *mesh.Grant { return selectGrant(table, now) }
	a, b := grant("a"), grant("b")
	// Writes carry the access version current in their transaction.
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.BumpAccessVersion(ctx); err != nil {
			return err
		}
		if err := tx.CreateGrant(ctx, a); err != nil {
			return err
		}
		return tx.CreateGrant(ctx, b)
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.BumpAccessVersion(ctx); err != nil {
			return err
		}
		b.Permissions |= mesh.PermInsert.Bit()
		if err := tx.UpdateGrant(ctx, b); err != nil {
			return err
		}
		return tx.DeleteGrant(ctx, a.ID)
	})
	mustView(t, s, func(tx store.Tx) error {
		changed, err := tx.FindGrants(ctx, store.GrantFilter{SinceVersion: 1})
		if err != nil || len(changed) != 1 || changed[0].ID != b.ID || changed[0].Version != 2 {
			t.Errorf("changed since 1: got %+v (%v), want grant %d at version 2", changed, err, b.ID)
		}
		if changed, err := tx.FindGrants(ctx, store.GrantFilter{SinceVersion: 1, UntilVersion: 1}); err != nil || len(changed) != 0 {
			t.Errorf("changed after 1 and until 1: got %+v (%v), want none", changed, err)
		}
		if changed, err := tx.FindGrants(ctx, store.GrantFilter{SinceVersion: 1, UntilVersion: 2}); err != nil || len(changed) != 1 || changed[0].ID != b.ID {
			t.Errorf("changed after 1 and until 2: got %+v (%v), want grant %d", changed, err, b.ID)
		}
		gone, err := tx.FindGrantTombstones(ctx, 1)
		if err != nil || !slices.Equal(gone, []int64{a.ID}) {
			t.Errorf("deleted since 1: got %v (%v), want [%d]", gone, err, a.ID)
		}
		if gone, err := tx.FindGrantTombstones(ctx, 2); err != nil || len(gone) != 0 {
			t.Errorf("deleted since 2: got %v, %v; want none", gone, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx store.Tx) error { return tx.PruneGrantTombstones(ctx, 2) })
	mustView(t, s, func(tx store.Tx) error {
		gone, err := tx.FindGrantTombstones(ctx, 0)
		if len(gone) != 0 {
			t.Errorf("after pruning: got %v, want none", gone)
		}
		return err
	})
	var got []int64
	for range 2 {
		mustUpdate(t, s, func(tx store.Tx) error {
			v, err := tx.BumpAccessVersion(ctx)
			got = append(got, v)
			return err
		})
	}
	mustView(t, s, func(tx store.Tx) error {
		v, err := tx.AccessVersion(ctx)
		got = append(got, v)
		return err
	})
	if want := []int64{3, 4, 4}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
