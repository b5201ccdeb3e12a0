package server_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestDeletedUsersGrantsEnd: a user's grants end with the user (the server
// wires the auth service's deletion to access); a new user given the same
// name starts with nothing.
func TestDeletedUsersGrantsEnd(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s, _ := servertest.New(t, servertest.Options{Store: kind, Config: server.Config{Demo: true}})
			const sales = "111122223333"
			salesAdmin := mesh.NewContext(ctx, &mesh.Actor{AccountID: sales, Username: "sales-admin", Roles: []string{mesh.RoleAdmin}, CentralAccountID: "central"})
			approver := mesh.Principal(sales + "/sales-approver")
			orders := mesh.Resource{Database: "sales", Table: "orders"}
			if _, err := s.Access.Grant(salesAdmin, access.GrantInput{Principal: approver, Resource: orders, Permissions: mesh.PermissionsOf(mesh.PermSelect)}); err != nil {
				t.Fatal(err)
			}
			var u *mesh.User
			if err := s.Store.View(ctx, func(tx store.Tx) (err error) {
				u, _, err = tx.FindUserByUsername(ctx, "sales-approver")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.Auth.DeleteUser(salesAdmin, u.ID); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Access.Authorize(salesAdmin, approver, mesh.PermSelect, orders); err != nil || d.Allowed {
				t.Errorf("after deleting the user: got %+v, %v, want denied", d, err)
			}
			if _, _, err := s.Auth.CreateUser(salesAdmin, auth.NewUser{AccountID: sales, Username: "sales-approver", Roles: []string{mesh.RoleMember}}); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Access.Authorize(salesAdmin, approver, mesh.PermSelect, orders); err != nil || d.Allowed {
				t.Errorf("a new user named sales-approver: got %+v, %v, want denied (the deleted user's grants %v)", d, err, d.Grants)
			}
			gs, _, err := s.Access.ListGrants(salesAdmin, access.GrantFilter{Principal: approver})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gs {
				t.Errorf("got grant %d still stored: %s %s on %s, want none", g.ID, g.Principal, g.Permissions, g.Resource)
			}
		})
	}
}
