package access_test

import (
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestGrantTx: a grant made in a caller's transaction reaches decisions once
// it commits, never when the transaction, or the savepoint around it, rolls
// back; RevokeTx takes it away with its share.
func TestGrantTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		gi := in(sibling, orders(), set(mesh.PermSelect, mesh.PermDescribe), set(mesh.PermSelect, mesh.PermDescribe))
		errBoom := errors.New("boom")
		err := s.Update(meshAdmin, func(tx store.Tx) error {
			if _, err := f.svc.GrantTx(meshAdmin, tx, gi); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("rolled back: got %v", err)
		}
		if f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Fatal("a rolled-back grant allows")
		}
		err = s.Update(meshAdmin, func(tx store.Tx) error {
			if err := tx.Savepoint(meshAdmin, "t"); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, gi); err != nil {
				return err
			}
			return tx.RollbackToSavepoint(meshAdmin, "t")
		})
		if err != nil {
			t.Fatal(err)
		}
		if f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Fatal("a grant rolled back to its savepoint allows")
		}
		var g *mesh.Grant
		err = s.Update(meshAdmin, func(tx store.Tx) error {
			var err error
			g, err = f.svc.GrantTx(meshAdmin, tx, gi)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !f.allowed(sibling, mesh.PermSelect, orders()) || g.ShareID == 0 || g.Status != mesh.GrantActive {
			t.Fatalf("committed grant: got %+v, allowed %v; want an active shared grant that allows", g, f.allowed(sibling, mesh.PermSelect, orders()))
		}
		err = s.Update(meshAdmin, func(tx store.Tx) error {
			_, err := f.svc.RevokeTx(meshAdmin, tx, in(sibling, orders(), set(mesh.PermSelect, mesh.PermDescribe), 0))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Error("revoked grant still allows")
		}
		err = s.View(meshAdmin, func(tx store.Tx) error {
			_, err := tx.FindShareByID(meshAdmin, g.ShareID)
			return err
		})
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("share after the last grant went: got %v, want not found", err)
		}
	})
}
