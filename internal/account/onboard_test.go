package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestOnOnboard: the hooks run in the onboarding transaction (the central
// account's too), and a failing hook leaves no account behind.
func TestOnOnboard(t *testing.T) {
	s := storetest.OpenSQLite(t, nil)
	svc := account.NewService(s, nil, account.Central{ID: "central", Name: "Central"})
	var seen []string
	fail := false
	svc.OnOnboard(func(ctx context.Context, tx store.Tx, a *mesh.Account) error {
		if _, err := tx.FindAccountByID(ctx, a.ID); err != nil {
			t.Errorf("the hook does not see account %s in its transaction: %v", a.ID, err)
		}
		if fail {
			return errors.New("hook failed")
		}
		seen = append(seen, a.ID)
		return nil
	})
	if err := svc.EnsureCentral(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateAccount(meshAdmin, salesAccount()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != "central" || seen[1] != "111122223333" {
		t.Errorf("got %v, want central and 111122223333", seen)
	}
	fail = true
	if err := svc.CreateAccount(meshAdmin, &mesh.Account{ID: "222233334444", Name: "Marketing"}); err == nil {
		t.Fatal("onboarding went ahead with a failing hook")
	}
	if _, err := svc.FindAccountByID(meshAdmin, "222233334444"); !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("got %v, want no account after a failed hook", err)
	}
}
