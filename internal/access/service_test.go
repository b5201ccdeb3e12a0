package access_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/access/accesstest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const (
	central   = "central"
	producer  = "111122223333"
	outsider  = "222233334444" // another organization: shares wait for an invitation
	sibling   = "333344445555" // the central account's organization: shares are active at once
	org       = "o-mesh"
	otherOrg  = "o-other"
	aliceName = "alice"
)

// fixture is a service over a real store with a fake catalog and accounts.
type fixture struct {
	t       *testing.T
	store   store.Store
	svc     *access.Service
	catalog *accesstest.Catalog
	clock   *mesh.FakeClock
}

func newFixture(t *testing.T, s store.Store) *fixture {
	t.Helper()
	return newFixtureConfig(t, s, access.Config{CentralAccountID: central, Organization: org})
}

func newFixtureConfig(t *testing.T, s store.Store, cfg access.Config) *fixture {
	t.Helper()
	cat := accesstest.NewCatalog()
	cat.AddDatabase("sales", producer)
	cat.AddTable("sales", "orders", "id", "total", "email")
	cat.AddTable("sales", "items", "id", "sku")
	cat.AddDatabase("hr", central)
	cat.AddTable("hr", "people", "id", "name")
	// The store's catalog names the same owners: the grant listing reads
	// them there. A second fixture on the store (another replica) finds
	// them made.
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for name, owner := range map[string]string{"sales": producer, "hr": central} {
			err := tx.CreateDatabase(context.Background(), &mesh.Database{Name: name, Parameters: map[string]string{mesh.ParamDataOwner: owner}})
			if err != nil && !mesh.IsCode(err, mesh.ECONFLICT) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	accts := accesstest.NewAccounts()
	accts.AddAccount(central, org, "admin")
	accts.AddAccount(producer, org, "padmin", "bob")
	accts.AddAccount(outsider, otherOrg, "oadmin", aliceName)
	accts.AddAccount(sibling, org, "sadmin", aliceName, "carol", "dave")
	clock := mesh.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	svc := access.NewService(s, clock, cfg, cat, accts)
	if err := svc.Load(context.Background()); err != nil {
		t.Fatalf("load: %v", err)
	}
	return &fixture{t: t, store: s, svc: svc, catalog: cat, clock: clock}
}

func as(account, user string, roles ...string) context.Context {
	return mesh.NewContext(context.Background(), &mesh.Actor{Username: user, AccountID: account, Roles: roles, CentralAccountID: central})
}

var (
	meshAdmin     = as(central, "admin", mesh.RoleAdmin)
	producerAdmin = as(producer, "padmin", mesh.RoleAdmin)
	producerBob   = as(producer, "bob", mesh.RoleMember)
	outsiderAdmin = as(outsider, "oadmin", mesh.RoleAdmin)
	siblingAdmin  = as(sibling, "sadmin", mesh.RoleAdmin)
	siblingAlice  = as(sibling, aliceName, mesh.RoleMember)
)

func in(p string, r mesh.Resource, ps mesh.Permissions, grantable mesh.Permissions) access.GrantInput {
	return access.GrantInput{Principal: mesh.Principal(p), Resource: r, Permissions: ps, Grantable: grantable}
}

func set(ps ...mesh.Permission) mesh.Permissions { return mesh.PermissionsOf(ps...) }

func orders(cols ...string) mesh.Resource {
	return mesh.Resource{Database: "sales", Table: "orders", Columns: cols}
}

func (f *fixture) grant(ctx context.Context, gi access.GrantInput) *mesh.Grant {
	f.t.Helper()
	g, err := f.svc.Grant(ctx, gi)
	if err != nil {
		f.t.Fatalf("grant %s %s on %s: %v", gi.Principal, gi.Permissions, gi.Resource, err)
	}
	return g
}

func (f *fixture) revoke(ctx context.Context, gi access.GrantInput) {
	f.t.Helper()
	if _, err := f.svc.Revoke(ctx, gi); err != nil {
		f.t.Fatalf("revoke %s %s on %s: %v", gi.Principal, gi.Permissions, gi.Resource, err)
	}
}

func (f *fixture) allowed(p string, action mesh.Permission, r mesh.Resource) bool {
	f.t.Helper()
	d, err := f.svc.Authorize(meshAdmin, mesh.Principal(p), action, r)
	if err != nil {
		f.t.Fatalf("authorize: %v", err)
	}
	return d.Allowed
}

// accessVersion returns the store's access version.
func (f *fixture) accessVersion() int64 {
	f.t.Helper()
	var v int64
	if err := f.store.View(meshAdmin, func(tx store.Tx) error {
		var err error
		v, err = tx.AccessVersion(meshAdmin)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) audited(action string) int {
	f.t.Helper()
	return len(f.auditDetails(action))
}

// auditDetails returns the details of the audit entries of action, newest first.
func (f *fixture) auditDetails(action string) []string {
	f.t.Helper()
	var out []string
	err := f.store.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 1000})
		for _, e := range es {
			out = append(out, e.Detail)
		}
		return err
	})
	if err != nil {
		f.t.Fatalf("audit %s: %v", action, err)
	}
	return out
}

func wantCode(t *testing.T, err error, code string, mention string) {
	t.Helper()
	if !mesh.IsCode(err, code) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Errorf("got %q, want it to name %q", err.Error(), mention)
	}
}

// TestAuthorizationMatrix: principal kind × permission × resource kind × how
// the permission was obtained (direct, wildcard, column list, via the
// account, via grant option, after revocation), through the service.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice := sibling + "/" + aliceName
		carol := sibling + "/carol"
		// Direct grants to the sibling account (active at once: same organization).
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect)))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "*"}, set(mesh.PermDescribe), 0))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales"}, set(mesh.PermCreateTable), 0))
		// Via grant option: the sibling's admin gives alice some columns, carol the table.
		f.grant(siblingAdmin, in(alice, orders("id", "total"), set(mesh.PermSelect), 0))
		f.grant(siblingAdmin, in(carol, orders(), set(mesh.PermSelect), 0))
		// Direct to a producer user, and a revoked one.
		f.grant(producerAdmin, in(producer+"/bob", mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermAll), 0))
		f.grant(producerAdmin, in(producer+"/bob", orders(), set(mesh.PermDelete), 0))
		f.revoke(producerAdmin, in(producer+"/bob", orders(), set(mesh.PermDelete), 0))
		// ALL, then SELECT revoked from it.
		f.grant(producerAdmin, in(producer+"/padmin", orders(), set(mesh.PermAll), 0))
		f.revoke(producerAdmin, in(producer+"/padmin", orders(), set(mesh.PermSelect), 0))

		items := mesh.Resource{Database: "sales", Table: "items"}
		tests := []struct {
			how, principal string
			action         mesh.Permission
			r              mesh.Resource
			want           bool
		}{
			{"direct", sibling, mesh.PermSelect, orders(), true},
			{"direct", sibling, mesh.PermInsert, orders(), true},
			{"direct", sibling, mesh.PermDelete, orders(), false},
			{"direct", producer + "/bob", mesh.PermDrop, items, true},
			{"wildcard", sibling, mesh.PermDescribe, items, true},
			{"wildcard", sibling, mesh.PermSelect, items, false},
			{"database", sibling, mesh.PermCreateTable, mesh.Resource{Database: "sales"}, true},
			{"database", sibling, mesh.PermDrop, mesh.Resource{Database: "sales"}, false},
			{"via the account", alice, mesh.PermInsert, orders(), false},
			{"via the account", sibling + "/nobody", mesh.PermSelect, orders(), false},
			{"via grant option, column list", alice, mesh.PermSelect, orders("id"), true},
			{"via grant option, column list", alice, mesh.PermSelect, orders("email"), false},
			{"via grant option, column list", alice, mesh.PermSelect, orders(), false},
			{"via grant option, column list", alice, mesh.PermDescribe, orders(), true},
			{"via grant option, table", carol, mesh.PermSelect, orders("email"), true},
			{"via grant option, table", carol, mesh.PermInsert, orders(), false},
			{"after revocation", producer + "/bob", mesh.PermDelete, orders(), false},
			{"ALL less SELECT", producer + "/padmin", mesh.PermSelect, orders(), false},
			{"ALL less SELECT", producer + "/padmin", mesh.PermSelect, orders("id"), false},
			{"ALL less SELECT", producer + "/padmin", mesh.PermInsert, orders(), true},
			{"ALL less SELECT", producer + "/padmin", mesh.PermDrop, orders(), true},
			{"ALL less SELECT", producer + "/padmin", mesh.PermDescribe, orders(), true},
			{"owner account", producer, mesh.PermDrop, orders(), true},
			{"other account", outsider, mesh.PermDescribe, orders(), false},
		}
		for _, tt := range tests {
			if got := f.allowed(tt.principal, tt.action, tt.r); got != tt.want {
				t.Errorf("%s: %s %s on %s: got %v, want %v", tt.how, tt.principal, tt.action, tt.r, got, tt.want)
			}
		}
	})
}

func TestGrantMergesAndRevokeRemovesExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		a := f.grant(meshAdmin, in(producer+"/bob", orders(), set(mesh.PermSelect), 0))
		b := f.grant(meshAdmin, in(producer+"/bob", orders(), set(mesh.PermDescribe, mesh.PermSelect), set(mesh.PermDescribe)))
		if a.ID != b.ID {
			t.Fatalf("granting again: got grants %d and %d, want one", a.ID, b.ID)
		}
		if want := set(mesh.PermSelect, mesh.PermDescribe); b.Permissions != want {
			t.Errorf("got %s, want %s", b.Permissions, want)
		}
		g, err := f.svc.Revoke(meshAdmin, in(producer+"/bob", orders(), set(mesh.PermSelect), 0))
		if err != nil {
			t.Fatal(err)
		}
		if g.Permissions != set(mesh.PermDescribe) || g.Grantable != set(mesh.PermDescribe) {
			t.Errorf("after revoking SELECT: got %s (grantable %s), want DESCRIBE (grantable DESCRIBE)", g.Permissions, g.Grantable)
		}
		if _, err := f.svc.Revoke(meshAdmin, in(producer+"/bob", orders("id"), set(mesh.PermSelect), 0)); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("revoking a grant that does not exist: got %v, want not found", err)
		}
		if got := f.audited("access.grant"); got != 2 {
			t.Errorf("got %d grant audit entries, want 2", got)
		}
		if got := f.audited("access.revoke"); got != 1 {
			t.Errorf("got %d revoke audit entries, want 1", got)
		}
	})
}

// TestRevokeOneFromAll: as in PostgreSQL, revoking SELECT from ALL leaves
// every other permission of the table, spelled out; revoking ALL leaves none.
func TestRevokeOneFromAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermAll), 0))
		g, err := f.svc.Revoke(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		if err != nil {
			t.Fatal(err)
		}
		rest := set(mesh.PermDescribe, mesh.PermInsert, mesh.PermDelete, mesh.PermAlter, mesh.PermDrop)
		if g.Permissions != rest || g.Grantable != 0 {
			t.Errorf("got %s (grantable %s), want %s (grantable none)", g.Permissions, g.Grantable, rest)
		}
		if f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Error("SELECT after its revocation: got allowed, want denied")
		}
		if !f.allowed(sibling, mesh.PermInsert, orders()) {
			t.Error("INSERT after revoking SELECT: got denied, want allowed")
		}
		if got := f.auditDetails("access.revoke"); len(got) != 1 || got[0] != sibling+" SELECT on table sales.orders" {
			t.Errorf("got audit details %q, want one naming SELECT", got)
		}
		g, err = f.svc.Revoke(producerAdmin, in(sibling, orders(), set(mesh.PermAll), 0))
		if err != nil {
			t.Fatal(err)
		}
		if g.Permissions != 0 || f.allowed(sibling, mesh.PermInsert, orders()) {
			t.Errorf("after revoking ALL: got %s, want nothing", g.Permissions)
		}
		if got := f.auditDetails("access.revoke"); len(got) != 2 || got[0] != sibling+" ALL on table sales.orders" {
			t.Errorf("got audit details %q, want the last naming ALL", got)
		}
	})
}

func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
		alice := sibling + "/" + aliceName
		tests := []struct {
			name    string
			ctx     context.Context
			gi      access.GrantInput
			code    string
			mention string
		}{
			{"unknown database", meshAdmin, in(sibling, mesh.Resource{Database: "nope"}, set(mesh.PermDescribe), 0), mesh.ENOTFOUND, "nope"},
			{"unknown table", meshAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "nope"}, set(mesh.PermSelect), 0), mesh.ENOTFOUND, "nope"},
			{"unknown account", meshAdmin, in("999988887777", orders(), set(mesh.PermSelect), 0), mesh.ENOTFOUND, "999988887777"},
			{"unknown user", siblingAdmin, in(sibling+"/nobody", orders(), set(mesh.PermSelect), 0), mesh.ENOTFOUND, "nobody"},
			{"unknown columns", meshAdmin, in(sibling, orders("id", "zip", "phone"), set(mesh.PermSelect), 0), mesh.EINVALID, "phone, zip"},
			{"column grant of insert", meshAdmin, in(sibling, orders("id"), set(mesh.PermInsert), 0), mesh.EINVALID, "INSERT"},
			{"beyond grant option", siblingAdmin, in(alice, orders(), set(mesh.PermInsert), 0), mesh.EFORBIDDEN, "INSERT WITH GRANT OPTION on table sales.orders"},
			{"other table", siblingAdmin, in(alice, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermSelect), 0), mesh.EFORBIDDEN, "SELECT WITH GRANT OPTION on table sales.items"},
			{"non-admin without grant option", siblingAlice, in(sibling+"/carol", orders(), set(mesh.PermSelect), 0), mesh.EFORBIDDEN, "SELECT WITH GRANT OPTION"},
			{"producer user", producerBob, in(sibling, orders(), set(mesh.PermSelect), 0), mesh.EFORBIDDEN, "SELECT WITH GRANT OPTION"},
			{"to another account's user", producerAdmin, in(outsider+"/"+aliceName, orders(), set(mesh.PermSelect), 0), mesh.EINVALID, "goes to the account"},
			{"grant option to another account", siblingAdmin, in(outsider, orders(), set(mesh.PermSelect), 0), mesh.EFORBIDDEN, "account " + sibling},
			{"no permissions", meshAdmin, in(sibling, orders(), 0, 0), mesh.EINVALID, "permission"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.Grant(tt.ctx, tt.gi)
				wantCode(t, err, tt.code, tt.mention)
			})
		}
	})
}

func TestOrganizationShareIsActiveAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		g := f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "*"}, set(mesh.PermSelect), 0))
		if g.Status != mesh.GrantActive || g.ShareID == 0 {
			t.Fatalf("got status %s, share %d; want active with a share", g.Status, g.ShareID)
		}
		if !f.allowed(sibling, mesh.PermSelect, orders("email")) {
			t.Error("got denied, want allowed at once")
		}
		invs, err := f.invitations(siblingAdmin, "", "")
		if err != nil || len(invs) != 0 {
			t.Errorf("got %d invitations (%v), want none", len(invs), err)
		}
		links, err := f.svc.ListLinks(siblingAdmin, sibling)
		if err != nil || len(links) != 1 || links[0].Name != "sales" || links[0].Database != "sales" {
			t.Fatalf("got links %+v (%v), want one named sales", links, err)
		}
		// The link is a pointer: a table the producer adds shows through at once.
		f.catalog.AddTable("sales", "returns", "id", "reason")
		tables, err := f.svc.LinkTables(siblingAdmin, sibling, "sales")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tb := range tables {
			names = append(names, tb.Name)
		}
		if got, want := strings.Join(names, ","), "items,orders,returns"; got != want {
			t.Errorf("got tables %s, want %s", got, want)
		}
	})
}

// TestLinkNames: a share's link is named after its database, or the first
// of name-2, name-3, ... the account has no link of; a name chosen on
// accepting an invitation that the account has a link of is a conflict.
func TestLinkNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermSelect), 0))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales"}, set(mesh.PermDescribe), 0))
		links, err := f.svc.ListLinks(siblingAdmin, sibling)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range links {
			got = append(got, l.Name+">"+l.Database+"."+l.Table)
		}
		if want := []string{"sales>sales.orders", "sales-2>sales.items", "sales-3>sales."}; !slices.Equal(got, want) {
			t.Errorf("got links %v, want %v", got, want)
		}

		for _, r := range []mesh.Resource{orders(), {Database: "sales", Table: "items"}} {
			f.grant(producerAdmin, in(outsider, r, set(mesh.PermSelect), 0))
		}
		invs, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(invs) != 2 {
			t.Fatalf("got %d pending invitations, want 2", len(invs))
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, "shop"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, invs[1].ID, "shop")
		wantCode(t, err, mesh.ECONFLICT, `resource link named "shop"`)
		if d, err := f.svc.AcceptInvitation(outsiderAdmin, invs[1].ID, ""); err != nil || d.Link == nil || d.Link.Name != "sales" {
			t.Errorf("accepting with no name: got %+v (%v), want the link sales", d, err)
		}
	})
}

func TestInvitationAcceptReject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		g := f.grant(producerAdmin, in(outsider, orders("id", "total"), set(mesh.PermSelect), 0))
		if g.Status != mesh.GrantPending {
			t.Fatalf("got status %s, want pending", g.Status)
		}
		if f.allowed(outsider, mesh.PermSelect, orders("id")) {
			t.Fatal("before acceptance: got allowed, want denied")
		}
		invs, err := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if err != nil || len(invs) != 1 {
			t.Fatalf("got %d pending invitations (%v), want 1", len(invs), err)
		}
		id := invs[0].ID
		if !invs[0].ExpiresAt.Equal(f.clock.Now().Add(12 * time.Hour)) {
			t.Errorf("got expiry %v, want 12 hours from now", invs[0].ExpiresAt)
		}
		_, err = f.svc.AcceptInvitation(siblingAdmin, id, "")
		wantCode(t, err, mesh.EFORBIDDEN, outsider)
		_, err = f.svc.AcceptInvitation(as(outsider, aliceName, mesh.RoleMember), id, "")
		wantCode(t, err, mesh.EFORBIDDEN, "")

		d, err := f.svc.AcceptInvitation(outsiderAdmin, id, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if d.Link == nil || d.Link.Name != "shop" || d.Link.Table != "orders" {
			t.Errorf("got link %+v, want shop pointing at orders", d.Link)
		}
		if !f.allowed(outsider, mesh.PermSelect, orders("id")) {
			t.Error("after acceptance: got denied, want allowed")
		}
		if !f.allowed(outsider, mesh.PermSelect, mesh.Resource{Database: "shop", Columns: []string{"total"}, Table: "orders"}) {
			t.Error("through the link: got denied, want allowed")
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, id, "")
		wantCode(t, err, mesh.ECONFLICT, "accepted")
		if e := err.(*mesh.Error); e.Details.(map[string]any)["status"] != mesh.InvitationAccepted {
			t.Errorf("got details %v, want the current status", e.Details)
		}

		// A second share, rejected: it stays inactive.
		f.grant(producerAdmin, in(outsider, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermSelect), 0))
		invs, _ = f.invitations(outsiderAdmin, outsider, mesh.InvitationPending)
		if len(invs) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(invs))
		}
		if _, err := f.svc.RejectInvitation(outsiderAdmin, invs[0].ID); err != nil {
			t.Fatal(err)
		}
		if f.allowed(outsider, mesh.PermSelect, mesh.Resource{Database: "sales", Table: "items"}) {
			t.Error("after rejection: got allowed, want denied")
		}
		_, err = f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, "")
		wantCode(t, err, mesh.ECONFLICT, "rejected")
	})
}

func TestInvitationExpiryAndResend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.grant(meshAdmin, in(outsider, mesh.Resource{Database: "sales"}, set(mesh.PermDescribe), 0))
		invs, _ := f.invitations(outsiderAdmin, "", "")
		if len(invs) != 1 {
			t.Fatalf("got %d invitations, want 1", len(invs))
		}
		id := invs[0].ID
		f.clock.Add(12*time.Hour + time.Second)
		invs, _ = f.invitations(outsiderAdmin, "", "")
		if invs[0].Status != mesh.InvitationExpired {
			t.Errorf("listed after expiry: got %s, want expired", invs[0].Status)
		}
		_, err := f.svc.AcceptInvitation(outsiderAdmin, id, "")
		wantCode(t, err, mesh.ECONFLICT, "expired")
		if got := f.audited("access.expire-invitation"); got != 1 {
			t.Errorf("got %d expiry audit entries, want 1", got)
		}
		_, err = f.svc.ResendInvitation(outsiderAdmin, id)
		wantCode(t, err, mesh.EFORBIDDEN, "")
		inv, err := f.svc.ResendInvitation(producerAdmin, id)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != mesh.InvitationPending || !inv.ExpiresAt.Equal(f.clock.Now().Add(12*time.Hour)) {
			t.Errorf("got %s until %v, want pending for 12 more hours", inv.Status, inv.ExpiresAt)
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, id, ""); err != nil {
			t.Fatalf("accept after resend: %v", err)
		}
		if !f.allowed(outsider, mesh.PermDescribe, mesh.Resource{Database: "sales"}) {
			t.Error("after acceptance: got denied, want allowed")
		}
		// The sweep records expiry without anyone asking.
		f.grant(meshAdmin, in(outsider, mesh.Resource{Database: "hr"}, set(mesh.PermDescribe), 0))
		f.clock.Add(13 * time.Hour)
		n, err := f.svc.ExpireInvitations(context.Background())
		if err != nil || n != 1 {
			t.Errorf("sweep: got %d (%v), want 1 expired", n, err)
		}
	})
}

func TestRevokeCascades(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice := outsider + "/" + aliceName
		f.grant(producerAdmin, in(outsider, mesh.Resource{Database: "sales", Table: "*"}, set(mesh.PermSelect, mesh.PermDescribe), set(mesh.PermSelect)))
		invs, _ := f.invitations(outsiderAdmin, "", "")
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		// The consumer's admin grants alice through the link.
		f.grant(outsiderAdmin, in(alice, mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}}, set(mesh.PermSelect), 0))
		if !f.allowed(alice, mesh.PermSelect, orders("total")) || f.allowed(alice, mesh.PermSelect, orders("email")) {
			t.Fatal("got alice's columns wrong before the revocation")
		}
		f.revoke(producerAdmin, in(outsider, mesh.Resource{Database: "sales", Table: "*"}, set(mesh.PermSelect, mesh.PermDescribe), 0))
		if f.allowed(alice, mesh.PermSelect, orders("total")) {
			t.Error("after the share's revocation: got alice allowed, want denied")
		}
		if got := f.audited("access.revoke-cascade"); got != 1 {
			t.Errorf("got %d cascade audit entries, want 1", got)
		}
		links, _ := f.svc.ListLinks(outsiderAdmin, outsider)
		if len(links) != 0 {
			t.Errorf("got %d links after the share ended, want 0", len(links))
		}
		gs, _, _ := f.svc.ListGrants(meshAdmin, access.GrantFilter{AccountID: outsider})
		if len(gs) != 0 {
			t.Errorf("got %d grants left in the consumer account, want 0", len(gs))
		}
	})
}

// TestRevokeThroughLink: Revoke reads a resource link of the caller's
// account as Grant does, including that a table's link names only its table.
func TestRevokeThroughLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice := outsider + "/" + aliceName
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
		invs, _ := f.invitations(outsiderAdmin, "", "")
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, "shop"); err != nil {
			t.Fatal(err)
		}
		f.grant(outsiderAdmin, in(alice, mesh.Resource{Database: "shop"}, set(mesh.PermSelect), 0))
		if !f.allowed(alice, mesh.PermSelect, orders()) {
			t.Fatal("granted through the link: got denied, want allowed")
		}
		_, err := f.svc.Revoke(outsiderAdmin, in(alice, mesh.Resource{Database: "shop", Table: "items"}, set(mesh.PermSelect), 0))
		wantCode(t, err, mesh.ENOTFOUND, "through resource link shop")
		f.revoke(outsiderAdmin, in(alice, mesh.Resource{Database: "shop", Table: "orders"}, set(mesh.PermSelect), 0))
		if f.allowed(alice, mesh.PermSelect, orders()) {
			t.Error("revoked through the link: got allowed, want denied")
		}
	})
}

func TestRevokingGrantOptionShrinksDerivedGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice := sibling + "/" + aliceName
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect, mesh.PermInsert)))
		f.grant(siblingAdmin, in(alice, orders(), set(mesh.PermSelect, mesh.PermInsert), 0))
		// Only the grant option for INSERT goes: alice keeps SELECT.
		f.revoke(producerAdmin, access.GrantInput{Principal: sibling, Resource: orders(), Grantable: set(mesh.PermInsert)})
		if !f.allowed(alice, mesh.PermSelect, orders()) || f.allowed(alice, mesh.PermInsert, orders()) {
			t.Error("got alice's permissions wrong: want SELECT kept, INSERT gone")
		}
		if !f.allowed(sibling, mesh.PermInsert, orders()) {
			t.Error("got the account's INSERT gone, want only its grant option revoked")
		}
	})
}

// TestRevokingOneGrantOptionFromAll: revoking the grant option for SELECT
// from a grant option of ALL leaves the grant option on every other
// permission, and what was granted from it loses SELECT only.
func TestRevokingOneGrantOptionFromAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice, carol := sibling+"/"+aliceName, sibling+"/carol"
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermAll), set(mesh.PermAll)))
		f.grant(siblingAdmin, in(alice, orders(), set(mesh.PermAll), 0))
		f.grant(siblingAdmin, in(carol, orders(), set(mesh.PermSelect), 0))
		g, err := f.svc.Revoke(producerAdmin, access.GrantInput{Principal: sibling, Resource: orders(), Grantable: set(mesh.PermSelect)})
		if err != nil {
			t.Fatal(err)
		}
		rest := set(mesh.PermDescribe, mesh.PermInsert, mesh.PermDelete, mesh.PermAlter, mesh.PermDrop)
		if g.Permissions != set(mesh.PermAll) || g.Grantable != rest {
			t.Errorf("got %s (grantable %s), want ALL (grantable %s)", g.Permissions, g.Grantable, rest)
		}
		if got := f.auditDetails("access.revoke"); len(got) != 1 || got[0] != sibling+" grant option for SELECT on table sales.orders" {
			t.Errorf("got audit details %q, want one naming the grant option for SELECT", got)
		}
		if !f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Error("the account's SELECT: got denied, want only its grant option revoked")
		}
		// The cascade: alice's ALL loses SELECT only, carol's SELECT goes.
		if f.allowed(alice, mesh.PermSelect, orders()) || !f.allowed(alice, mesh.PermInsert, orders()) {
			t.Error("got alice's permissions wrong: want SELECT gone, INSERT kept")
		}
		if f.allowed(carol, mesh.PermSelect, orders()) {
			t.Error("carol's SELECT: got allowed, want revoked with the grant option")
		}
		if got := f.audited("access.revoke-cascade"); got != 2 {
			t.Errorf("got %d cascade audit entries, want 2", got)
		}
		gs, _, err := f.svc.ListGrants(meshAdmin, access.GrantFilter{Principal: mesh.Principal(alice)})
		if err != nil || len(gs) != 1 {
			t.Fatalf("got %d grants of alice (%v), want 1", len(gs), err)
		}
		if gs[0].Permissions != rest {
			t.Errorf("got alice's %s, want %s", gs[0].Permissions, rest)
		}
		// The holder may still grant INSERT, not SELECT.
		if _, err := f.svc.Grant(siblingAdmin, in(carol, orders(), set(mesh.PermInsert), 0)); err != nil {
			t.Errorf("granting INSERT: got %v, want it granted", err)
		}
		_, err = f.svc.Grant(siblingAdmin, in(carol, orders(), set(mesh.PermSelect), 0))
		wantCode(t, err, mesh.EFORBIDDEN, "SELECT WITH GRANT OPTION on table sales.orders")
	})
}

func TestCatalogDeleteRevokes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice := sibling + "/" + aliceName
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
		f.grant(siblingAdmin, in(alice, orders("id"), set(mesh.PermSelect), 0))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermSelect), 0))
		ctx := producerAdmin
		err := s.Update(ctx, func(tx store.Tx) error { return f.svc.OnCatalogDelete(ctx, tx, "sales", "orders") })
		if err != nil {
			t.Fatal(err)
		}
		f.catalog.Delete("sales", "orders")
		if err := f.svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f.allowed(sibling, mesh.PermSelect, orders()) || f.allowed(alice, mesh.PermSelect, orders("id")) {
			t.Error("after the table's deletion: got allowed, want denied")
		}
		if !f.allowed(sibling, mesh.PermSelect, mesh.Resource{Database: "sales", Table: "items"}) {
			t.Error("another table's grant: got denied, want kept")
		}
		if got := f.audited("access.revoke-cascade"); got != 2 {
			t.Errorf("got %d cascade audit entries, want 2", got)
		}
		err = s.Update(ctx, func(tx store.Tx) error { return f.svc.OnCatalogDelete(ctx, tx, "sales", "") })
		if err != nil {
			t.Fatal(err)
		}
		links, _ := f.svc.ListLinks(meshAdmin, "")
		if len(links) != 0 {
			t.Errorf("got %d links after the database's deletion, want 0", len(links))
		}
	})
}

// TestGrantsOfTwoSourcesEndApart: a principal given permissions on one
// resource through two grant options (the account's, carol's) holds a grant
// from each, in either order. Revoking carol's grant option takes what she
// granted and leaves the other; carol revokes what she granted, and only
// that; a revocation changes only the grants that hold what it revokes.
func TestGrantsOfTwoSourcesEndApart(t *testing.T) {
	alice, carol := sibling+"/"+aliceName, sibling+"/carol"
	carolCtx := as(sibling, "carol", mesh.RoleMember)
	setup := func(t *testing.T, s store.Store, carolFirst bool) *fixture {
		t.Helper()
		f := newFixture(t, s)
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect, mesh.PermInsert)))
		f.grant(siblingAdmin, in(carol, orders(), set(mesh.PermInsert), set(mesh.PermInsert)))
		fromCarol := in(alice, orders(), set(mesh.PermInsert), 0)
		fromAccount := in(alice, orders(), set(mesh.PermSelect), 0)
		if carolFirst {
			f.grant(carolCtx, fromCarol)
			f.grant(siblingAdmin, fromAccount)
		} else {
			f.grant(siblingAdmin, fromAccount)
			f.grant(carolCtx, fromCarol)
		}
		gs, _, err := f.svc.ListGrants(meshAdmin, access.GrantFilter{Principal: mesh.Principal(alice)})
		if err != nil {
			t.Fatal(err)
		}
		sources := map[mesh.Principal]mesh.Permissions{}
		for _, g := range gs {
			sources[g.Source] = g.Permissions
		}
		if len(gs) != 2 || sources[sibling] != set(mesh.PermSelect) || sources[mesh.Principal(carol)] != set(mesh.PermInsert) {
			t.Fatalf("got alice's grants by source %v, want SELECT from %s and INSERT from %s", sources, sibling, carol)
		}
		return f
	}
	cases := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"carol's grant option revoked", func(t *testing.T, f *fixture) {
			f.revoke(siblingAdmin, in(carol, orders(), set(mesh.PermInsert), 0))
			if f.allowed(alice, mesh.PermInsert, orders()) {
				t.Error("alice's INSERT from carol: got allowed, want ended with carol's grant option")
			}
			if !f.allowed(alice, mesh.PermSelect, orders()) {
				t.Error("alice's SELECT from the account: got denied, want kept")
			}
		}},
		{"carol revokes what she granted", func(t *testing.T, f *fixture) {
			g, err := f.svc.Revoke(carolCtx, in(alice, orders(), set(mesh.PermInsert, mesh.PermSelect), 0))
			if err != nil {
				t.Fatalf("carol revoking what she granted alice: %v", err)
			}
			if g.Source != mesh.Principal(carol) || g.Permissions != 0 {
				t.Errorf("got %+v, want carol's grant, emptied", g)
			}
			if f.allowed(alice, mesh.PermInsert, orders()) || !f.allowed(alice, mesh.PermSelect, orders()) {
				t.Error("got alice's permissions wrong: want INSERT revoked, SELECT from the account kept")
			}
		}},
		{"the account's admin revokes SELECT", func(t *testing.T, f *fixture) {
			g, err := f.svc.Revoke(siblingAdmin, in(alice, orders(), set(mesh.PermSelect), 0))
			if err != nil {
				t.Fatal(err)
			}
			if g.Source != sibling || g.Permissions != 0 {
				t.Errorf("got %+v, want the account's grant, emptied: carol's holds no SELECT", g)
			}
			if f.allowed(alice, mesh.PermSelect, orders()) || !f.allowed(alice, mesh.PermInsert, orders()) {
				t.Error("got alice's permissions wrong: want SELECT revoked, INSERT from carol kept")
			}
			if got := f.auditDetails("access.revoke"); len(got) != 1 {
				t.Errorf("got revocations audited %q, want one: carol's grant holds no SELECT", got)
			}
		}},
	}
	for _, carolFirst := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s, carol's grant first %v", c.name, carolFirst), func(t *testing.T) {
				storetest.Each(t, func(t *testing.T, s store.Store) { c.run(t, setup(t, s, carolFirst)) })
			})
		}
	}
}

// TestOwnersGrantBesideDerivedOne: the owner's admin granting what a user
// holds from a grant option makes a grant of its own: it stays when the
// grant option goes, and the owner's admin revokes from every source.
func TestOwnersGrantBesideDerivedOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		bob, padmin := producer+"/bob", producer+"/padmin"
		f.grant(producerAdmin, in(bob, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect, mesh.PermInsert)))
		f.grant(producerBob, in(padmin, orders(), set(mesh.PermSelect, mesh.PermInsert), 0))
		f.grant(producerAdmin, in(padmin, orders(), set(mesh.PermSelect), 0))
		f.revoke(producerAdmin, in(bob, orders(), set(mesh.PermAll), 0))
		if !f.allowed(padmin, mesh.PermSelect, orders()) || f.allowed(padmin, mesh.PermInsert, orders()) {
			t.Error("got padmin's permissions wrong after bob's grant went: want the owner's SELECT kept, bob's INSERT gone")
		}
		f.grant(producerAdmin, in(bob, orders(), set(mesh.PermInsert), set(mesh.PermInsert)))
		f.grant(producerBob, in(padmin, orders(), set(mesh.PermInsert), 0))
		f.revoke(producerAdmin, in(padmin, orders(), set(mesh.PermAll), 0))
		if f.allowed(padmin, mesh.PermSelect, orders()) || f.allowed(padmin, mesh.PermInsert, orders()) {
			t.Error("the owner's admin revoking ALL: got padmin still allowed, want every source's grant revoked")
		}
		_, err := f.svc.Revoke(producerBob, in(padmin, orders(), set(mesh.PermInsert), 0))
		wantCode(t, err, mesh.ENOTFOUND, "")
		// A grantor may not revoke what another source gave.
		f.grant(producerAdmin, in(padmin, orders(), set(mesh.PermSelect), 0))
		_, err = f.svc.Revoke(producerBob, in(padmin, orders(), set(mesh.PermSelect), 0))
		wantCode(t, err, mesh.EFORBIDDEN, "grantor")
	})
}

// TestCascadeComingBackRound: a cascade that comes back round to the holder
// it started from (alice grants carol, carol grants alice) shrinks the
// holder's other derived grants itself; the outer cascade then works from
// what the inner one left, not from what it read before.
func TestCascadeComingBackRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		alice, carol, dave := sibling+"/"+aliceName, sibling+"/carol", sibling+"/dave"
		asAlice, asCarol := as(sibling, aliceName, mesh.RoleMember), as(sibling, "carol", mesh.RoleMember)
		both := set(mesh.PermSelect, mesh.PermInsert)
		f.grant(producerAdmin, in(sibling, orders(), both, both))
		f.grant(siblingAdmin, in(alice, orders(), both, both))
		f.grant(asAlice, in(carol, orders(), both, both))
		f.grant(asCarol, in(alice, orders("id"), set(mesh.PermSelect), set(mesh.PermSelect)))
		f.grant(asAlice, in(dave, orders(), set(mesh.PermSelect), 0))

		// alice loses the grant option for SELECT on the whole table: carol
		// loses SELECT, so alice loses the column grant carol made, and with
		// it dave's SELECT.
		if _, err := f.svc.Revoke(siblingAdmin, access.GrantInput{Principal: mesh.Principal(alice), Resource: orders(), Grantable: set(mesh.PermSelect)}); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		for _, tc := range []struct {
			principal string
			r         mesh.Resource
			want      mesh.Permissions
		}{
			{alice, orders(), both},
			{alice, orders("id"), 0},
			{carol, orders(), set(mesh.PermInsert)},
			{dave, orders(), 0},
		} {
			var got mesh.Permissions
			err := s.View(context.Background(), func(tx store.Tx) error {
				// one grant a source: what they hold together
				gs, err := tx.FindGrants(context.Background(), store.GrantFilter{Principal: mesh.Principal(tc.principal), Database: tc.r.Database, Table: tc.r.Table})
				for _, g := range gs {
					if g.Resource.String() == tc.r.String() {
						got |= g.Permissions
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s on %s: got %s, want %s", tc.principal, tc.r, got, tc.want)
			}
		}
		if f.allowed(dave, mesh.PermSelect, orders()) {
			t.Error("dave after the cascade: got allowed, want denied")
		}
	})
}

// TestDeletionsHoldAgainstRefreshes: a refresh that runs while a deletion's
// transaction is still open (on a notice of another change, say) reloads
// the grants the deletion is removing; once the deletion commits, the index
// denies again before the deletion is acknowledged.
func TestDeletionsHoldAgainstRefreshes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		delete func(f *fixture, tx store.Tx) error
	}{
		{"catalog delete", func(f *fixture, tx store.Tx) error {
			return f.svc.OnCatalogDelete(producerAdmin, tx, "sales", "orders")
		}},
		{"account delete", func(f *fixture, tx store.Tx) error {
			_, err := f.svc.Offboard(meshAdmin, tx, sibling, "")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s store.Store) {
				f := newFixture(t, s)
				f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
				err := s.Update(context.Background(), func(tx store.Tx) error {
					if err := tc.delete(f, tx); err != nil {
						return err
					}
					return f.svc.Refresh(context.Background())
				})
				if err != nil {
					t.Fatal(err)
				}
				if f.allowed(sibling, mesh.PermSelect, orders()) {
					t.Error("after the deletion committed: got allowed, want denied")
				}
			})
		})
	}
}

// TestListGrantsPagesWhatIsVisible: a caller who sees only some grants gets
// full pages of them, each once, and none of the others.
func TestListGrantsPagesWhatIsVisible(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		// Grants the viewers below see, and do not see, interleaved by id.
		for _, tb := range []string{"t1", "t2", "t3", "t4", "t5"} {
			f.catalog.AddTable("sales", tb, "id")
			r := mesh.Resource{Database: "sales", Table: tb}
			f.grant(meshAdmin, in(producer+"/bob", r, set(mesh.PermSelect), 0))
			f.grant(meshAdmin, in(outsider, r, set(mesh.PermSelect), 0))
			f.grant(meshAdmin, in(sibling, r, set(mesh.PermSelect), set(mesh.PermSelect)))
			f.grant(siblingAdmin, in(sibling+"/carol", r, set(mesh.PermSelect), 0))
		}
		people := mesh.Resource{Database: "hr", Table: "people"}
		f.grant(meshAdmin, in(outsider, people, set(mesh.PermSelect), 0))
		f.grant(meshAdmin, in(sibling, people, set(mesh.PermSelect), 0))
		f.grant(meshAdmin, in(producer, people, set(mesh.PermSelect), 0))
		every, _, err := f.svc.ListGrants(meshAdmin, access.GrantFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// a page that ends with the last grant has no next page, which
		// would be empty
		if gs, next, err := f.svc.ListGrants(meshAdmin, access.GrantFilter{Limit: len(every)}); err != nil || len(gs) != len(every) || next != 0 {
			t.Errorf("a page of exactly the %d grants: got %d, next %d, %v; want them all and no next page", len(every), len(gs), next, err)
		}
		owners := map[string]string{"sales": producer, "hr": central}
		for _, v := range []struct {
			name    string
			ctx     context.Context
			account string
		}{
			{"the owner's member", producerBob, producer},
			{"a grantee's admin", siblingAdmin, sibling},
			{"a grantee's member", siblingAlice, sibling},
			{"another organization", outsiderAdmin, outsider},
		} {
			t.Run(v.name, func(t *testing.T) {
				var want []int64
				for _, g := range every {
					if g.Principal.Account() == v.account || owners[g.Resource.Database] == v.account {
						want = append(want, g.ID)
					}
				}
				if len(want) == 0 || len(want) == len(every) {
					t.Fatalf("sees %d of %d grants, want some", len(want), len(every))
				}
				var got []int64
				gf := access.GrantFilter{Limit: 3}
				for pages := 0; ; pages++ {
					gs, next, err := f.svc.ListGrants(v.ctx, gf)
					if err != nil {
						t.Fatal(err)
					}
					for _, g := range gs {
						got = append(got, g.ID)
					}
					if next == 0 {
						break
					}
					if len(gs) != gf.Limit {
						t.Errorf("page %d: got %d grants and a next page, want %d", pages, len(gs), gf.Limit)
					}
					if pages > len(every) {
						t.Fatal("got no end of pages")
					}
					gf.AfterID = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v over pages, want %v", got, want)
				}
			})
		}
	})
}

// TestRefreshSeesAnotherReplica: two services on one store, as two replicas.
func TestRefreshSeesAnotherReplica(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		other := newFixture(t, s)
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		if other.allowed(sibling, mesh.PermSelect, orders()) {
			t.Fatal("before refresh: the other replica already allows; want the stale denial this test relies on")
		}
		if err := other.svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !other.allowed(sibling, mesh.PermSelect, orders()) {
			t.Error("after refresh: got denied, want allowed")
		}
		// A revocation reaches the other replica through the grant's tombstone.
		f.revoke(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermInsert), 0))
		if err := other.svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if other.allowed(sibling, mesh.PermSelect, orders()) || !other.allowed(sibling, mesh.PermInsert, mesh.Resource{Database: "sales", Table: "items"}) {
			t.Error("after the second refresh: got the revoked grant kept or the new one missing")
		}
		// A change made while the other replica was behind is caught up by
		// difference when the replica writes next.
		f.grant(producerAdmin, in(sibling, mesh.Resource{Database: "sales", Table: "items"}, set(mesh.PermDelete), 0))
		other.grant(producerAdmin, in(sibling, orders(), set(mesh.PermDescribe), 0))
		if !other.allowed(sibling, mesh.PermDelete, mesh.Resource{Database: "sales", Table: "items"}) {
			t.Error("after its own write: got the other replica's change missing")
		}
		if err := f.svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := other.svc.Index().Len(), f.svc.Index().Len(); got != want || got != 2 {
			t.Errorf("got %d grants in the other replica's index, want %d", got, want)
		}
	})
}

// TestRefreshFollowsLinks: a replica follows another's resource links by
// difference: a link made as an invitation is accepted resolves there after
// a refresh, and once its share ends with its last grant, it no longer does.
func TestRefreshFollowsLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		other := newFixture(t, s)
		refresh := func() {
			t.Helper()
			if err := other.svc.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		db, viaLink := mesh.Resource{Database: "sales"}, mesh.Resource{Database: "shop", Table: "orders"}
		f.grant(producerAdmin, in(outsider, db, set(mesh.PermDescribe), 0))
		pending, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(pending) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(pending))
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, pending[0].ID, "shop"); err != nil {
			t.Fatal(err)
		}
		if got, _ := other.svc.Index().ResolveLink(outsider, viaLink); got.String() != viaLink.String() {
			t.Fatalf("before refresh: the other replica resolves %v to %v already; want the stale view this test relies on", viaLink, got)
		}
		refresh()
		for _, fx := range []*fixture{f, other} {
			if got, _ := fx.svc.Index().ResolveLink(outsider, viaLink); got.String() != orders().String() {
				t.Errorf("replica %p: %v resolves to %v, want %v", fx, viaLink, got, orders())
			}
		}
		f.revoke(producerAdmin, in(outsider, db, set(mesh.PermDescribe), 0))
		refresh()
		for _, fx := range []*fixture{f, other} {
			if got, _ := fx.svc.Index().ResolveLink(outsider, viaLink); got.String() != viaLink.String() {
				t.Errorf("replica %p: after the share ended, %v resolves to %v, want it left as it is", fx, viaLink, got)
			}
		}
	})
}

// TestDecisionsDuringChanges decides while grants come and go (run with -race).
func TestDecisionsDuringChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		done := make(chan struct{})
		stopped := make(chan struct{})
		var decided atomic.Int64
		go func() {
			defer close(stopped)
			for {
				select {
				case <-done:
					return
				default:
				}
				f.svc.Authorize(meshAdmin, sibling, mesh.PermSelect, orders("id"))
				decided.Add(1)
			}
		}()
		// waitForDecision lets the decider make at least one more decision, so
		// every change below interleaves with decisions.
		waitForDecision := func() {
			for n := decided.Load(); decided.Load() == n; {
				runtime.Gosched()
			}
		}
		for range 5 {
			waitForDecision()
			f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
			if err := f.svc.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitForDecision()
			f.revoke(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		}
		close(done)
		<-stopped
		if f.allowed(sibling, mesh.PermSelect, orders("id")) {
			t.Error("after the last revocation: got allowed, want denied")
		}
	})
}

// TestNotifiedRefresh: on PostgreSQL another replica learns of a change by
// LISTEN/NOTIFY, long before its periodic refresh (set to an hour here).
func TestNotifiedRefresh(t *testing.T) {
	s := storetest.OpenPostgres(t, nil)
	f := newFixture(t, s)
	other := newFixtureConfig(t, s, access.Config{CentralAccountID: central, Organization: org, RefreshInterval: time.Hour})
	refreshed := make(chan struct{}, 100)
	access.SetRefreshed(other.svc, func() { refreshed <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { other.svc.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	// The listener announces itself with a refresh; then a grant elsewhere
	// reaches the other replica through a notification.
	deadline := time.After(30 * time.Second) // a guard against hanging, not a measurement
	select {
	case <-refreshed:
	case <-deadline:
		t.Fatal("the listener never started")
	}
	f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
	for !other.allowed(sibling, mesh.PermSelect, orders()) {
		select {
		case <-refreshed:
		case <-deadline:
			t.Fatal("the other replica never learned of the grant")
		}
	}
}
