package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestNameHygiene checks, through the API, that account names refuse
// invisible and reordering characters and are stored in NFC, and that a
// user name that can pass for an existing one is refused, naming it.
func TestNameHygiene(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, admin := servertest.New(t, servertest.Options{Store: kind})

			for _, name := range []string{"Sales\u202Egnp", "Sa\u200Bles", "Sales\r\nX-Injected: 1", "Sales\u2066"} {
				_, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: name})
				wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "name")
			}
			a, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "Ventes Cafe\u0301"})
			if err != nil {
				t.Fatalf("onboard: %v", err)
			}
			if got, err := admin.GetAccount(ctx, a.ID); err != nil || got.Name != "Ventes Caf\u00e9" {
				t.Errorf("got %+v, %v; want the name stored in NFC", got, err)
			}
			bidi := "Sales\u202E"
			_, err = admin.UpdateAccount(ctx, a.ID, client.AccountUpdate{Name: &bidi})
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "name")

			if _, err := admin.CreateUser(ctx, a.ID, client.UserInput{Username: "sales-admin", Roles: []string{mesh.RoleAdmin}}); err != nil {
				t.Fatalf("create user: %v", err)
			}
			for _, lookalike := range []string{"Sales-Admin", "saIes-admin", "sales-adrnin"} {
				_, err := admin.CreateUser(ctx, a.ID, client.UserInput{Username: lookalike, Roles: []string{mesh.RoleMember}})
				wantAPIError(t, err, http.StatusConflict, mesh.ECONFLICT, "username")
				if !strings.Contains(err.Error(), `"sales-admin"`) {
					t.Errorf("%s: got %v, want the existing user named", lookalike, err)
				}
			}
			// Non-Latin letters are refused outright: user names are ASCII.
			_, err = admin.CreateUser(ctx, a.ID, client.UserInput{Username: "s\u0430les-admin", Roles: []string{mesh.RoleMember}})
			wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "username")
			if _, err := admin.CreateUser(ctx, a.ID, client.UserInput{Username: "sales-approver", Roles: []string{mesh.RoleApprover}}); err != nil {
				t.Errorf("a different name: %v", err)
			}
		})
	}
}
