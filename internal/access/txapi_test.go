package access_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
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

// TestGrantTxOneVersion: however many GrantTx and RevokeTx calls a
// transaction makes, it increments the access version once, and what
// committed reaches decisions, in this process and, by difference, in
// another: what a savepoint's rollback undid does not, even when it was the
// transaction's first call, nor a grant the same transaction revoked.
func TestGrantTxOneVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		other := newFixture(t, s) // another replica, loaded before
		selectOn := func(p string, r mesh.Resource) access.GrantInput { return in(p, r, set(mesh.PermSelect), 0) }
		items, people := mesh.Resource{Database: "sales", Table: "items"}, mesh.Resource{Database: "hr", Table: "people"}
		bob := producer + "/bob"
		before := f.accessVersion()
		err := s.Update(meshAdmin, func(tx store.Tx) error {
			if err := tx.Savepoint(meshAdmin, "first"); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, selectOn(sibling, items)); err != nil {
				return err
			}
			if err := tx.RollbackToSavepoint(meshAdmin, "first"); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, selectOn(sibling, orders())); err != nil {
				return err
			}
			if err := tx.Savepoint(meshAdmin, "kept"); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, selectOn(bob, orders())); err != nil {
				return err
			}
			if err := tx.ReleaseSavepoint(meshAdmin, "kept"); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, selectOn(sibling, people)); err != nil {
				return err
			}
			_, err := f.svc.RevokeTx(meshAdmin, tx, selectOn(sibling, people))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.accessVersion(); got != before+1 {
			t.Errorf("access version: %d after %d, want one more", got, before)
		}
		if err := other.svc.Refresh(meshAdmin); err != nil {
			t.Fatal(err)
		}
		for _, fx := range []*fixture{f, other} {
			for _, tt := range []struct {
				p    string
				r    mesh.Resource
				want bool
			}{
				{sibling, orders(), true},
				{bob, orders(), true},
				{sibling, items, false},  // rolled back to its savepoint
				{sibling, people, false}, // granted and revoked
			} {
				if got := fx.allowed(tt.p, mesh.PermSelect, tt.r); got != tt.want {
					t.Errorf("replica %p: %s SELECT on %s: allowed %v, want %v", fx, tt.p, tt.r, got, tt.want)
				}
			}
		}
	})
}

// TestGrantTxFailedCallCommits: a transaction that commits after one of its
// calls failed (its caller went on) still brings every replica's decisions
// to what committed, with one access version.
func TestGrantTxFailedCallCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		other := newFixture(t, s)
		missing := mesh.Resource{Database: "sales", Table: "no_such_table"}
		err := s.Update(meshAdmin, func(tx store.Tx) error {
			if _, err := f.svc.GrantTx(meshAdmin, tx, in(sibling, orders(), set(mesh.PermSelect), 0)); err != nil {
				return err
			}
			if _, err := f.svc.GrantTx(meshAdmin, tx, in(sibling, missing, set(mesh.PermSelect), 0)); err == nil {
				t.Error("a grant on a missing table succeeded")
			}
			_, err := f.svc.GrantTx(meshAdmin, tx, in(producer+"/bob", orders(), set(mesh.PermSelect), 0))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.svc.Refresh(meshAdmin); err != nil {
			t.Fatal(err)
		}
		for _, fx := range []*fixture{f, other} {
			if !fx.allowed(sibling, mesh.PermSelect, orders()) || !fx.allowed(producer+"/bob", mesh.PermSelect, orders()) {
				t.Errorf("replica %p: the committed grants do not allow", fx)
			}
		}
	})
}

// TestGrantHeldAlready: granting in a transaction what a principal holds
// already writes nothing (as in PostgreSQL, nothing changes): the grant
// keeps its granter and its version, so no replica has anything to fetch,
// and the audit log has no change to record; granting more changes it.
func TestGrantHeldAlready(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		changedSince := func(v int64) []*mesh.Grant {
			t.Helper()
			var gs []*mesh.Grant
			if err := s.View(meshAdmin, func(tx store.Tx) error {
				var err error
				gs, err = tx.FindGrants(meshAdmin, store.GrantFilter{SinceVersion: v})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return gs
		}
		first := f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect, mesh.PermDescribe), set(mesh.PermSelect)))
		before := f.accessVersion()
		var again *mesh.Grant
		if err := s.Update(meshAdmin, func(tx store.Tx) error {
			var err error
			again, err = f.svc.GrantTx(meshAdmin, tx, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if gs := changedSince(before); len(gs) != 0 {
			t.Errorf("grants changed by granting what is held: %+v", gs)
		}
		if v := f.accessVersion(); v != before {
			t.Errorf("access version: got %d after granting what is held, want %d (untaken: its lock makes every access change wait)", v, before)
		}
		if again.ID != first.ID || again.GrantedBy != first.GrantedBy || !again.UpdatedAt.Equal(first.UpdatedAt) || again.Status != first.Status {
			t.Errorf("held already: got %+v, want %+v unchanged", again, first)
		}
		if d := f.auditDetails("access.grant"); len(d) != 1 {
			t.Errorf("audit: got %q, want only the first grant (the second changed nothing)", d)
		}
		more := f.grant(meshAdmin, in(sibling, orders(), set(mesh.PermInsert), 0))
		if gs := changedSince(before); len(gs) != 1 || gs[0].ID != first.ID {
			t.Errorf("grants changed by granting more: got %+v, want grant %d", gs, first.ID)
		}
		if more.ID != first.ID || more.Permissions != set(mesh.PermSelect, mesh.PermDescribe, mesh.PermInsert) || more.GrantedBy != central+"/admin" {
			t.Errorf("granting more: got %+v", more)
		}
		if !f.allowed(sibling, mesh.PermInsert, orders()) {
			t.Error("the grant of more is not in force")
		}

		// the same permissions from the owner's admin instead of from a
		// user's grant option are a grant of their own source: not held
		bob, padmin := producer+"/bob", producer+"/padmin"
		f.grant(producerAdmin, in(bob, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
		fromOption := f.grant(as(producer, "bob", mesh.RoleMember), in(padmin, orders(), set(mesh.PermSelect), 0))
		if fromOption.Source != mesh.Principal(bob) {
			t.Fatalf("grant from bob's grant option: source %q, want %s", fromOption.Source, bob)
		}
		var fromOwner *mesh.Grant
		if err := s.Update(producerAdmin, func(tx store.Tx) error {
			var err error
			fromOwner, err = f.svc.GrantTx(producerAdmin, tx, in(padmin, orders(), set(mesh.PermSelect), 0))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if fromOwner.ID == fromOption.ID || fromOwner.Source != "" || fromOwner.GrantedBy != padmin {
			t.Errorf("the owner's admin's grant of what came from a grant option: got %+v, want a grant of its own, no source, granted by %s", fromOwner, padmin)
		}
	})
}

// TestAbortedChangeRunsAgain: a grant or revocation whose transaction the
// store aborted to break a deadlock (a sharing transaction may hold a grant
// it found held already while waiting for the access version) runs again,
// and only what committed counts: one version, one audit entry.
func TestAbortedChangeRunsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		aborting := &storetest.Aborting{Store: s}
		f := newFixture(t, aborting)
		before := f.accessVersion()
		aborting.Aborts = 2
		f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		if v := f.accessVersion(); v != before+1 || !f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Errorf("after two aborted runs: version %d (want %d), allowed %v (want true)", v, before+1, f.allowed(sibling, mesh.PermSelect, orders()))
		}
		if d := f.auditDetails("access.grant"); len(d) != 1 {
			t.Errorf("audit: got %q, want one grant", d)
		}
		aborting.Aborts = 1
		f.revoke(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		if f.allowed(sibling, mesh.PermSelect, orders()) {
			t.Error("allowed after the revocation ran again")
		}
		aborting.Aborts = 10
		if _, err := f.svc.Grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0)); !errors.Is(err, storetest.ErrAborted) {
			t.Errorf("aborted every time: got %v, want the abort after the last try", err)
		}
	})
}

// TestHeldGrantDeadlock: on PostgreSQL, a transaction that found a grant
// held already (share-locked, without the access version) and then needs
// the version, while a revocation holding the version waits for that
// grant, deadlocks; PostgreSQL aborts one of them and it runs again. Both
// end done, and what the index decides is what the store holds.
func TestHeldGrantDeadlock(t *testing.T) {
	db, name := storetest.OpenPostgresNamed(t, nil)
	f := newFixture(t, db)
	f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))

	probed, proceed := make(chan struct{}), make(chan struct{})
	sharing := make(chan error, 1)
	go func() {
		first := true
		sharing <- store.UpdateRetrying(meshAdmin, db, func(tx store.Tx) error {
			if _, err := f.svc.GrantTx(meshAdmin, tx, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect))); err != nil {
				return err
			}
			if first {
				first = false
				close(probed)
				<-proceed
			}
			_, err := f.svc.GrantTx(meshAdmin, tx, in(sibling, orders(), set(mesh.PermInsert), 0))
			return err
		})
	}()
	<-probed
	revoked := make(chan error, 1)
	go func() {
		_, err := f.svc.Revoke(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		revoked <- err
	}()
	// until the revocation waits for the grant the first transaction holds
	storetest.WaitForLock(t, db, name, nil)
	close(proceed)
	if err := <-sharing; err != nil {
		t.Errorf("sharing transaction: %v", err)
	}
	if err := <-revoked; err != nil {
		t.Errorf("revocation: %v", err)
	}
	var g *mesh.Grant
	err := db.View(meshAdmin, func(tx store.Tx) (err error) {
		g, err = tx.FindGrantByResource(meshAdmin, sibling, orders(), "")
		return err
	})
	stored := func(p mesh.Permission) bool { return err == nil && g.Permissions.Has(p) }
	for _, p := range []mesh.Permission{mesh.PermSelect, mesh.PermInsert} {
		if got := f.allowed(sibling, p, orders()); got != stored(p) {
			t.Errorf("%s: the index says %v, the store holds %v (%+v, %v)", p, got, stored(p), g, err)
		}
	}
	if !stored(mesh.PermInsert) {
		t.Errorf("INSERT, granted after the revocation began, is not held: %+v, %v", g, err)
	}
}

// bumpWatch is a transaction that, when it takes the access version, asks
// lockedNow whether a grant is locked.
type bumpWatch struct {
	store.Tx
	lockedNow func() bool
	locked    []bool
}

func (w *bumpWatch) BumpAccessVersion(ctx context.Context) (int64, error) {
	w.locked = append(w.locked, w.lockedNow())
	return w.Tx.BumpAccessVersion(ctx)
}

// TestProbeLockReleased: on PostgreSQL, a grant the held-grant probe found
// and locked but that will change is no longer locked when the transaction
// waits for the access version, so that a change holding the version and
// waiting for that grant makes no deadlock.
func TestProbeLockReleased(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	f := newFixture(t, db)
	g := f.grant(producerAdmin, in(sibling, orders(), set(mesh.PermSelect), set(mesh.PermSelect)))
	lockedNow := func() bool { return storetest.Locked(t, db, `SELECT 1 FROM grants WHERE id = $1 FOR UPDATE`, g.ID) }
	var w *bumpWatch
	err := db.Update(meshAdmin, func(tx store.Tx) error {
		w = &bumpWatch{Tx: tx, lockedNow: lockedNow}
		_, err := f.svc.GrantTx(meshAdmin, w, in(sibling, orders(), set(mesh.PermSelect, mesh.PermInsert), set(mesh.PermSelect)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.locked) != 1 || w.locked[0] {
		t.Errorf("the grant locked when the transaction took the version: %v, want [false]", w.locked)
	}
	if !f.allowed(sibling, mesh.PermInsert, orders()) {
		t.Error("the grant of more is not in force")
	}
}

// TestGrantTxPendingGrantInvitesAgain: a grant waiting for its share's
// invitation is not held already for GrantTx: granting it again after the
// invitation expired sends a new one, which the consumer can accept.
func TestGrantTxPendingGrantInvitesAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		gi := in(outsider, mesh.Resource{Database: "sales"}, set(mesh.PermDescribe), 0)
		f.grant(meshAdmin, gi)
		f.clock.Add(12*time.Hour + time.Second)
		if n, err := f.svc.ExpireInvitations(context.Background()); err != nil || n != 1 {
			t.Fatalf("sweep: got %d (%v), want 1 expired", n, err)
		}
		if err := s.Update(meshAdmin, func(tx store.Tx) error {
			_, err := f.svc.GrantTx(meshAdmin, tx, gi)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		invs, _ := f.invitations(outsiderAdmin, "", "")
		var pending []*mesh.Invitation
		for _, inv := range invs {
			if inv.Status == mesh.InvitationPending {
				pending = append(pending, inv)
			}
		}
		if len(pending) != 1 {
			t.Fatalf("invitations: got %+v, want a new pending one", invs)
		}
		if _, err := f.svc.AcceptInvitation(outsiderAdmin, pending[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		if !f.allowed(outsider, mesh.PermDescribe, mesh.Resource{Database: "sales"}) {
			t.Error("not allowed after accepting the new invitation")
		}
	})
}

// TestGrantTxIndexBehind: a grant the index does not know is inserted
// without a read first (grantIn); when the insert finds it there, made by
// another replica not yet refreshed or pending an invitation (the index
// keeps active grants only), it is read and merged into, as any grant held.
func TestGrantTxIndexBehind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		other := newFixture(t, s) // another replica, not refreshed
		f.grant(meshAdmin, in(sibling, orders(), set(mesh.PermSelect), 0))
		f.grant(meshAdmin, in(outsider, orders(), set(mesh.PermSelect), 0)) // pending
		for _, tt := range []struct {
			svc *access.Service
			in  access.GrantInput
		}{
			{other.svc, in(sibling, orders(), set(mesh.PermDescribe), 0)},
			{f.svc, in(outsider, orders(), set(mesh.PermDescribe), 0)},
		} {
			if tt.svc.Index().Holds(tt.in.Principal, tt.in.Resource.Database) {
				t.Fatalf("%s: the index holds a grant; want one it does not know", tt.in.Principal)
			}
			var g *mesh.Grant
			if err := s.Update(meshAdmin, func(tx store.Tx) (err error) {
				g, err = tt.svc.GrantTx(meshAdmin, tx, tt.in)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", tt.in.Principal, err)
			}
			var held []*mesh.Grant
			if err := s.View(meshAdmin, func(tx store.Tx) (err error) {
				held, err = tx.FindGrants(meshAdmin, store.GrantFilter{Principal: tt.in.Principal})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			want := set(mesh.PermSelect, mesh.PermDescribe)
			if len(held) != 1 || held[0].ID != g.ID || held[0].Permissions != want {
				t.Errorf("%s: got grants %+v (returned %d), want one with %s", tt.in.Principal, held, g.ID, want)
			}
		}
	})
}
