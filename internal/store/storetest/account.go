package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("account", testAccount) }

var identityBase = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// identityUpdate runs fn in a write transaction and fails the test on error.
func identityUpdate(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

// identityView runs fn in a read transaction and fails the test on error.
func identityView(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func identityAccount(id, name, org string) *mesh.Account {
	return &mesh.Account{ID: id, Name: name, Organization: org, Email: id + "@example.com", CreatedAt: identityBase, UpdatedAt: identityBase}
}

func testAccount(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	identityUpdate(t, s, func(tx store.Tx) error {
		for _, a := range []*mesh.Account{
			identityAccount("central", "Central", "o-example"),
			identityAccount("111122223333", "Sales", "o-example"),
			identityAccount("222233334444", "Marketing", ""),
			identityAccount("partner-co", "Partner", "o-other"),
		} {
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("conflict", func(t *testing.T) {
		err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreateAccount(ctx, identityAccount("central", "Again", "")); !mesh.IsCode(err, mesh.ECONFLICT) {
				t.Errorf("got %v, want conflict", err)
			}
			// The transaction stays usable after a conflict.
			_, err := tx.FindAccountByID(ctx, "central")
			return err
		})
		if err != nil {
			t.Fatalf("got %v, want the transaction usable after a conflict", err)
		}
	})

	t.Run("find", func(t *testing.T) {
		identityView(t, s, func(tx store.Tx) error {
			a, err := tx.FindAccountByID(ctx, "111122223333")
			if err != nil {
				return err
			}
			want := identityAccount("111122223333", "Sales", "o-example")
			if a.ID != want.ID || a.Name != want.Name || a.Organization != want.Organization || a.Email != want.Email || !a.CreatedAt.Equal(identityBase) || !a.UpdatedAt.Equal(identityBase) {
				t.Errorf("got %+v, want %+v", a, want)
			}
			if _, err := tx.FindAccountByID(ctx, "999999999999"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("missing account: got %v, want not found", err)
			}
			return nil
		})
	})

	t.Run("list", func(t *testing.T) {
		tests := []struct {
			name   string
			filter store.AccountFilter
			want   []string
		}{
			{"all by id", store.AccountFilter{}, []string{"111122223333", "222233334444", "central", "partner-co"}},
			{"organization", store.AccountFilter{Organization: "o-example"}, []string{"111122223333", "central"}},
			{"page", store.AccountFilter{AfterID: "111122223333", Limit: 2}, []string{"222233334444", "central"}},
			{"past the end", store.AccountFilter{AfterID: "partner-co"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				identityView(t, s, func(tx store.Tx) error {
					as, err := tx.FindAccounts(ctx, tt.filter)
					for _, a := range as {
						got = append(got, a.ID)
					}
					return err
				})
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("update", func(t *testing.T) {
		later := identityBase.Add(time.Hour)
		identityUpdate(t, s, func(tx store.Tx) error {
			a := identityAccount("222233334444", "Marketing EU", "o-example")
			a.Email, a.UpdatedAt = "", later
			if err := tx.UpdateAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.UpdateAccount(ctx, identityAccount("999999999999", "x", "")); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("update missing: got %v, want not found", err)
			}
			return nil
		})
		identityView(t, s, func(tx store.Tx) error {
			a, err := tx.FindAccountByID(ctx, "222233334444")
			if err != nil {
				return err
			}
			if a.Name != "Marketing EU" || a.Organization != "o-example" || a.Email != "" || !a.UpdatedAt.Equal(later) || !a.CreatedAt.Equal(identityBase) {
				t.Errorf("got %+v, want the new name, organization, no email, updated at %v", a, later)
			}
			return nil
		})
	})

	t.Run("delete cascades to users", func(t *testing.T) {
		var userID int64
		identityUpdate(t, s, func(tx store.Tx) error {
			u := identityUser("partner-co", "pat", mesh.RoleAdmin)
			if err := tx.CreateUser(ctx, u, "hash"); err != nil {
				return err
			}
			userID = u.ID
			return tx.CreateToken(ctx, &mesh.Token{UserID: u.ID, Name: "ci", Prefix: "mgt_x", CreatedAt: identityBase}, []byte("partner-token-hash"))
		})
		identityUpdate(t, s, func(tx store.Tx) error {
			if err := tx.DeleteAccount(ctx, "partner-co"); err != nil {
				return err
			}
			if err := tx.DeleteAccount(ctx, "partner-co"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("second delete: got %v, want not found", err)
			}
			return nil
		})
		identityView(t, s, func(tx store.Tx) error {
			if _, err := tx.FindUserByID(ctx, userID); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("user of a deleted account: got %v, want not found", err)
			}
			if _, err := tx.FindTokenByHash(ctx, []byte("partner-token-hash")); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("token of a deleted account: got %v, want not found", err)
			}
			return nil
		})
	})
}
