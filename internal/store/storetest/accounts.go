package storetest

import (
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// CreateAccounts onboards accounts named by their ids straight in s, for
// tests whose products need an owner the mesh has (a database's data_owner
// must be an onboarded account).
func CreateAccounts(t testing.TB, s store.Store, ids ...string) {
	t.Helper()
	now := time.Now().UTC()
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for _, id := range ids {
			if err := tx.CreateAccount(t.Context(), &mesh.Account{ID: id, Name: "Account " + id, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create accounts %v: %v", ids, err)
	}
}
