package access_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Transactions that only add access (GrantTx) run alongside one another on
// PostgreSQL; what changes more waits for them, and they for it.

// holdGrant runs GrantTx(gi) in a transaction that stays open until then
// returns, and returns what the transaction returned. It gives up after
// half a minute: what waits for another transaction would wait for ever
// (PostgreSQL has no lock timeout by default).
func holdGrant(f *fixture, gi access.GrantInput, then func() error) error {
	ctx, cancel := context.WithTimeout(meshAdmin, 30*time.Second)
	defer cancel()
	return f.store.Update(ctx, func(tx store.Tx) error {
		if _, err := f.svc.GrantTx(ctx, tx, gi); err != nil {
			return err
		}
		return then()
	})
}

// whileGrantHeld holds GrantTx(first) open while second runs: until second
// waits for a lock (or has ended). It fails the test when the first
// transaction fails or second ended before the first's commit and waits
// is set, and returns second's error.
func whileGrantHeld(t *testing.T, f *fixture, db *postgres.DB, name string, first access.GrantInput, waits bool, second func() error) error {
	t.Helper()
	result := make(chan error, 1)
	done := make(chan struct{})
	err := holdGrant(f, first, func() error {
		go func() {
			defer close(done)
			result <- second()
		}()
		storetest.WaitForLock(t, db, name, done)
		select {
		case <-done:
			if waits {
				return fmt.Errorf("the second transaction ended (%v) while the first was open; want it waiting", <-result)
			}
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return <-result
}

// grantTx runs GrantTx(gis...) in one transaction of its own.
func (f *fixture) grantTx(gis ...access.GrantInput) error {
	return f.store.Update(meshAdmin, func(tx store.Tx) error {
		for _, gi := range gis {
			if _, err := f.svc.GrantTx(meshAdmin, tx, gi); err != nil {
				return err
			}
		}
		return nil
	})
}

// grants returns principal's grants, by id.
func (f *fixture) grants(p string) []*mesh.Grant {
	f.t.Helper()
	var out []*mesh.Grant
	if err := f.store.View(meshAdmin, func(tx store.Tx) (err error) {
		out, err = tx.FindGrants(meshAdmin, store.GrantFilter{Principal: mesh.Principal(p)})
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestGrantsRunAlongside: a first-time grant commits while another
// transaction's first-time grant is still open (neither waits for the
// other), each carries the version of its commit, in the order of the
// commits, and another replica's refresh finds both. (Two new shares of
// one account would wait: their links want one name.)
func TestGrantsRunAlongside(t *testing.T) {
	db, _ := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	other := newFixture(t, db)
	items := mesh.Resource{Database: "sales", Table: "items"}
	before := f.accessVersion()
	err := holdGrant(f, in(sibling, orders(), set(mesh.PermSelect), 0), func() error {
		return holdGrant(f, in(outsider, items, set(mesh.PermSelect), 0), func() error { return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, p := range []string{outsider, sibling} {
		for _, g := range f.grants(p) {
			versions = append(versions, g.Version)
		}
	}
	if want := []int64{before + 1, before + 2}; fmt.Sprint(versions) != fmt.Sprint(want) {
		t.Errorf("versions of the second grant and the first: got %v, want %v (the order of the commits)", versions, want)
	}
	if err := other.svc.Refresh(meshAdmin); err != nil {
		t.Fatal(err)
	}
	for _, fx := range []*fixture{f, other} {
		if fx.svc.Index().Version() != before+2 || !fx.allowed(sibling, mesh.PermSelect, orders()) {
			t.Errorf("replica %p: got index version %d, want %d with the first grant in force", fx, fx.svc.Index().Version(), before+2)
		}
	}
}

// TestRevokeWaitsForGrants: a revocation, which takes the access version
// exclusively, waits for an open transaction that adds, and then comes
// after it in the version's order.
func TestRevokeWaitsForGrants(t *testing.T) {
	db, name := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	items := mesh.Resource{Database: "sales", Table: "items"}
	f.grant(meshAdmin, in(sibling, items, set(mesh.PermSelect), 0))
	err := whileGrantHeld(t, f, db, name, in(sibling, orders(), set(mesh.PermSelect), 0), true, func() error {
		_, err := f.svc.Revoke(meshAdmin, in(sibling, items, set(mesh.PermSelect), 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gs := f.grants(sibling)
	if len(gs) != 1 || gs[0].Resource.Table != "orders" || gs[0].Version >= f.accessVersion() {
		t.Errorf("got grants %+v at access version %d; want orders' only, before the revocation's version", gs, f.accessVersion())
	}
}

// TestSameGrantAlongside: two transactions granting one principal on one
// resource at once make one grant: the second waits for the first's share
// and grant, then finds them and widens the grant.
func TestSameGrantAlongside(t *testing.T) {
	db, name := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	err := whileGrantHeld(t, f, db, name, in(sibling, orders(), set(mesh.PermSelect), 0), true, func() error {
		return f.grantTx(in(sibling, orders(), set(mesh.PermDescribe), 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	gs := f.grants(sibling)
	if len(gs) != 1 || gs[0].Permissions != set(mesh.PermSelect, mesh.PermDescribe) {
		t.Fatalf("got grants %+v, want one with SELECT and DESCRIBE", gs)
	}
	if !f.allowed(sibling, mesh.PermDescribe, orders()) || !f.allowed(sibling, mesh.PermSelect, orders()) {
		t.Error("want SELECT and DESCRIBE allowed")
	}
	var shares, links int
	if err := f.store.View(meshAdmin, func(tx store.Tx) error {
		ls, err := tx.FindResourceLinks(meshAdmin, sibling, 0)
		links = len(ls)
		if sh, err := tx.FindShare(meshAdmin, sibling, "sales", "orders"); err == nil && sh.ID == gs[0].ShareID {
			shares = 1
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if shares != 1 || links != 1 {
		t.Errorf("got share found %d, links %d; want the grant's share and one link", shares, links)
	}
}

// TestWideningsAlongside: two transactions widening one grant at once
// lose neither's permissions: widening takes the version exclusively, so
// the second waits and then widens what the first committed.
func TestWideningsAlongside(t *testing.T) {
	db, name := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	f.grant(meshAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
	// A grant first, as in a batch: the widening then reads the grant
	// without the held-already probe, which would wait.
	err := whileGrantHeld(t, f, db, name, in(sibling, orders(), set(mesh.PermInsert), 0), false, func() error {
		return f.grantTx(in(outsider, orders(), set(mesh.PermSelect), 0), in(sibling, orders(), set(mesh.PermDescribe), 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	if gs := f.grants(sibling); len(gs) != 1 || gs[0].Permissions != set(mesh.PermSelect, mesh.PermInsert, mesh.PermDescribe) {
		t.Fatalf("got grants %+v, want one with SELECT, INSERT and DESCRIBE", gs)
	}
}
