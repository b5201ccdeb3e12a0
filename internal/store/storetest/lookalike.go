package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("auth-lookalike", testLookalikeUsernames) }

// testLookalikeUsernames checks that CreateUser refuses a user name that
// can pass for an existing one, naming it, and keeps the transaction usable.
func testLookalikeUsernames(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	identityUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", "")); err != nil {
			return err
		}
		for _, name := range []string{"sales-admin", "bob"} {
			if err := tx.CreateUser(ctx, identityUser("111122223333", name, mesh.RoleAdmin), "h"); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name, username string
		wantExisting   string // "" when the name is free
	}{
		{"same name", "sales-admin", "sales-admin"},
		{"other case", "Sales-Admin", "sales-admin"},
		{"Cyrillic a", "s\u0430les-\u0430dmin", "sales-admin"},
		{"capital I for l", "saIes-admin", "sales-admin"},
		{"digit 0 for o", "b0b", "bob"},
		{"rn for m", "sales-adrnin", "sales-admin"},
		{"another name", "sales-approver", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var created bool
			err := s.Update(ctx, func(tx store.Tx) error {
				err := tx.CreateUser(ctx, identityUser("111122223333", tt.username, mesh.RoleMember), "h")
				if tt.wantExisting == "" {
					created = err == nil
					return err
				}
				if !mesh.IsCode(err, mesh.ECONFLICT) || !strings.Contains(mesh.ErrorMessage(err), `"`+tt.wantExisting+`"`) {
					t.Errorf("got %v, want a conflict naming %q", err, tt.wantExisting)
				}
				_, err = tx.CountUsers(ctx)
				return err
			})
			if err != nil {
				t.Fatalf("got %v, want the user created or the transaction usable after the refusal", err)
			}
			if tt.wantExisting == "" && !created {
				t.Errorf("%q was not created", tt.username)
			}
		})
	}
}
