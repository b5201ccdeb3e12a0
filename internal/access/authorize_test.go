package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestAuthorizeScope: who may ask what. The consumer named its link to a
// third account's secret3 "marketing", which is also the name of a database
// the producer owns: the producer's admin asking about the consumer on
// "marketing" learns about its own database, never about secret3.
func TestAuthorizeScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		f.catalog.AddDatabase("secret3", sibling)
		f.catalog.AddTable("secret3", "campaigns", "id", "budget")
		f.catalog.AddDatabase("marketing", producer)
		f.catalog.AddTable("marketing", "campaigns", "id")
		if err := f.svc.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		campaigns := func(db string) mesh.Resource { return mesh.Resource{Database: db, Table: "campaigns"} }
		f.grant(siblingAdmin, in(outsider, campaigns("secret3"), set(mesh.PermSelect), 0))
		invs, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(invs) != 1 {
			t.Fatalf("got %d pending invitations, want 1", len(invs))
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, invs[0].ID, "marketing"); err != nil {
			t.Fatal(err)
		}
		outsiderAlice := as(outsider, aliceName, mesh.RoleMember)
		tests := []struct {
			name      string
			caller    context.Context
			principal string
			r         mesh.Resource
			want      bool   // the decision, when the question may be asked
			code      string // the error, when it may not
		}{
			{"the owner's admin, about its own database of that name", producerAdmin, outsider, campaigns("marketing"), false, ""},
			{"the owner's admin, about the third account's database", producerAdmin, outsider, campaigns("secret3"), false, mesh.EFORBIDDEN},
			{"the link's account's admin, through its link", outsiderAdmin, outsider, campaigns("marketing"), true, ""},
			{"a mesh admin, through the principal's link", meshAdmin, outsider, campaigns("marketing"), true, ""},
			{"a mesh admin, the shared database", meshAdmin, outsider, campaigns("secret3"), true, ""},
			{"the shared database's owner's admin", siblingAdmin, outsider, campaigns("secret3"), true, ""},
			{"a user about its account", outsiderAlice, outsider, campaigns("marketing"), false, mesh.EFORBIDDEN},
			{"a user about itself, through its account's link", outsiderAlice, "", campaigns("marketing"), false, ""},
			{"an admin about another account's principal on what it does not own", outsiderAdmin, producer, campaigns("marketing"), false, mesh.EFORBIDDEN},
		}
		for _, tt := range tests {
			d, err := f.svc.Authorize(tt.caller, mesh.Principal(tt.principal), mesh.PermSelect, tt.r)
			switch {
			case tt.code != "":
				if !mesh.IsCode(err, tt.code) {
					t.Errorf("%s: got %+v, %v; want %s", tt.name, d, err, tt.code)
				}
			case err != nil:
				t.Errorf("%s: got %v, want a decision", tt.name, err)
			case d.Allowed != tt.want:
				t.Errorf("%s: got allowed %v (%s), want %v", tt.name, d.Allowed, d.Reason, tt.want)
			}
		}
	})
}

// TestDenialTellsOwnersUsersHowToGetAccess: a user of the owning account
// holds only its own grants, and its denial says so and who can grant it.
func TestDenialTellsOwnersUsersHowToGetAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		bob := mesh.Principal(producer + "/bob")
		d, err := f.svc.Authorize(producerBob, "", mesh.PermSelect, orders())
		if err != nil || d.Allowed {
			t.Fatalf("got %+v (%v), want denied", d, err)
		}
		for _, want := range []string{"to " + string(bob), "holds only its own grants", "an admin of account " + producer + " can grant it"} {
			if !strings.Contains(d.Reason, want) {
				t.Errorf("got reason %q, want it to contain %q", d.Reason, want)
			}
		}
		// A user of another account gets the plain reason.
		d, _ = f.svc.Authorize(meshAdmin, mesh.Principal(outsider+"/"+aliceName), mesh.PermSelect, orders())
		if strings.Contains(d.Reason, "can grant it") {
			t.Errorf("got reason %q, want no hint for another account's user", d.Reason)
		}
	})
}

// TestAuthorizeTableLinkNamesOnlyItsTable: a link to one table stands for
// that table only. Through it, another table is not found when granting,
// and the decision about it is no, with the reason, even when the account
// holds that other table through a link of its own.
func TestAuthorizeTableLinkNamesOnlyItsTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		items := mesh.Resource{Database: "sales", Table: "items"}
		f.grant(producerAdmin, in(outsider, orders(), set(mesh.PermSelect), 0))
		f.grant(producerAdmin, in(outsider, items, set(mesh.PermSelect), 0))
		invs, _ := f.invitations(outsiderAdmin, "", mesh.InvitationPending)
		if len(invs) != 2 {
			t.Fatalf("got %d pending invitations, want 2", len(invs))
		}
		for _, inv := range invs {
			name := "shop" // to sales.orders
			if inv.Table == "items" {
				name = "stock"
			}
			if _, err := f.svc.AcceptInvitation(outsiderAdmin, inv.ID, name); err != nil {
				t.Fatal(err)
			}
		}
		shopItems := mesh.Resource{Database: "shop", Table: "items"}
		_, err := f.svc.Grant(outsiderAdmin, in(outsider+"/"+aliceName, shopItems, set(mesh.PermSelect), 0))
		wantCode(t, err, mesh.ENOTFOUND, "items through resource link shop")
		for _, tt := range []struct {
			name   string
			caller context.Context
			r      mesh.Resource
			want   bool
		}{
			{"the link's own table", outsiderAdmin, mesh.Resource{Database: "shop", Table: "orders"}, true},
			{"the link itself", outsiderAdmin, mesh.Resource{Database: "shop"}, true},
			{"another table through the link", outsiderAdmin, shopItems, false},
			{"another table through the link, asked by a mesh admin", meshAdmin, shopItems, false},
			{"that table through its own link", outsiderAdmin, mesh.Resource{Database: "stock", Table: "items"}, true},
		} {
			d, err := f.svc.Authorize(tt.caller, outsider, mesh.PermSelect, tt.r)
			if err != nil {
				t.Errorf("%s: got %v, want a decision", tt.name, err)
				continue
			}
			if d.Allowed != tt.want {
				t.Errorf("%s: got allowed %v (%s, grants %v), want %v", tt.name, d.Allowed, d.Reason, d.Grants, tt.want)
			}
			if !tt.want && !strings.Contains(d.Reason, "no table items through resource link shop") {
				t.Errorf("%s: got reason %q, want it to name the table and the link", tt.name, d.Reason)
			}
		}
	})
}
