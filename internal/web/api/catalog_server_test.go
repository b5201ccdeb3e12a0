package api_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestCatalogOnRealServer runs the catalog's edit rights through the real
// server, with real accounts, users and tokens, on every available store.
func TestCatalogOnRealServer(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			srv, admin := servertest.New(t, servertest.Options{Store: kind})
			if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Sales"}); err != nil {
				t.Fatal(err)
			}
			as := func(username string, roles ...string) *client.Client {
				t.Helper()
				u, err := admin.CreateUser(ctx, "111122223333", client.UserInput{Username: username, Roles: roles})
				if err != nil {
					t.Fatal(err)
				}
				tok, err := admin.IssueToken(ctx, u.User.ID, "test", 0)
				if err != nil {
					t.Fatal(err)
				}
				return srv.Client().WithToken(tok.Secret)
			}
			producerAdmin, member := as("pa", mesh.RoleAdmin), as("pm", mesh.RoleMember)

			steps := []struct {
				name string
				do   func() error
				want int // HTTP status, 0 for success
			}{
				{"producer admin creates its database", func() error {
					_, err := producerAdmin.CreateDatabaseGlue(ctx, []byte(`{"Name": "sales", "Parameters": {"data_owner": "111122223333", "pii_flag": "true"}}`))
					return err
				}, 0},
				{"producer admin may not create another account's", func() error {
					_, err := producerAdmin.CreateDatabaseGlue(ctx, []byte(`{"Name": "hr", "Parameters": {"data_owner": "444455556666"}}`))
					return err
				}, 403},
				{"member reads", func() error { _, err := member.GetDatabase(ctx, "sales"); return err }, 0},
				{"member may not update", func() error {
					_, err := member.UpdateDatabaseGlue(ctx, "sales", []byte(`{"Name": "sales"}`), 1)
					return err
				}, 403},
				{"producer admin creates a table", func() error {
					_, err := producerAdmin.CreateTableGlue(ctx, "sales", []byte(`{"Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "email", "Type": "string", "Parameters": {"pii_flag": "true"}}]}}`))
					return err
				}, 0},
				{"anonymous is refused", func() error { _, err := srv.Client().GetDatabase(ctx, "sales"); return err }, 401},
				{"producer admin updates its database", func() error {
					_, err := producerAdmin.UpdateDatabaseGlue(ctx, "sales", []byte(`{"Name": "sales", "Parameters": {"data_owner": "111122223333"}}`), 1)
					return err
				}, 0},
				{"a stale update", func() error {
					_, err := admin.UpdateDatabaseGlue(ctx, "sales", []byte(`{"Name": "sales"}`), 1)
					return err
				}, 409},
			}
			for _, s := range steps {
				err := s.do()
				got := 0
				if ce, ok := err.(*client.Error); ok {
					got = ce.Status
				} else if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if got != s.want {
					t.Errorf("%s: got status %d (%v), want %d", s.name, got, err, s.want)
				}
			}
			// Deleting a table revokes the grants on it in the same transaction.
			grant := client.GrantInput{Principal: "111122223333/pm", Resource: client.Resource{Database: "sales", Table: "orders"}, Permissions: []string{"SELECT"}}
			if _, err := admin.Grant(ctx, grant); err != nil {
				t.Fatalf("grant: %v", err)
			}
			if gs, _, err := admin.Grants(ctx, client.GrantsFilter{Database: "sales", Table: "orders"}); err != nil || len(gs) != 1 {
				t.Fatalf("grants before the delete: got %v, %v; want one", gs, err)
			}
			if err := producerAdmin.DeleteTable(ctx, "sales", "orders"); err != nil {
				t.Fatalf("delete table: %v", err)
			}
			if gs, _, err := admin.Grants(ctx, client.GrantsFilter{Database: "sales", Table: "orders"}); err != nil || len(gs) != 0 {
				t.Errorf("grants after the delete: got %v, %v; want none", gs, err)
			}
			// Successful changes are audited by the service, refusals by the router.
			list, err := admin.ListAudit(ctx, client.AuditFilter{Principal: "111122223333/pa"}, client.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list.Entries {
				got = append(got, e.Action+" "+e.Result)
			}
			want := []string{"catalog.delete-table ok", "access.revoke-cascade ok", "catalog.update-database ok", "catalog.create-table ok", "POST /api/v1/catalog/databases forbidden", "catalog.create-database ok"}
			if len(got) != len(want) {
				t.Fatalf("audit of pa: got %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("audit of pa: got %v, want %v", got, want)
					break
				}
			}
		})
	}
}
