package access

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// GrantTx is Grant inside the caller's transaction, for work that must
// commit with something else: the data-sharing workflow's task resources
// grant in the transaction that records the state transition. The actor in
// ctx must have the authority Grant asks for (the workflow's is the
// system's). The decision index learns of the grant once the transaction
// commits; a rolled-back grant never reaches it. However many grants and
// revocations one transaction makes (a batch of starts makes one each),
// it increments the access version once, and not at all when every grant
// it makes was held already (see heldAlready).
// Errors: as Grant.
func (s *Service) GrantTx(ctx context.Context, tx store.Tx, in GrantInput) (*mesh.Grant, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	if g, err := s.heldAlready(ctx, tx, a, in); g != nil || err != nil {
		return g, err
	}
	return s.inTx(ctx, tx, true, func(c *changes) (*mesh.Grant, error) { return s.grantIn(ctx, tx, c, a, in) })
}

// errWouldChange ends a probe (changes.probe) that finds a grant would
// change something; errNoGrant, one that finds none (and so locked none).
var (
	errWouldChange = errors.New("access: the grant would change")
	errNoGrant     = fmt.Errorf("%w: there is none yet", errWouldChange)
)

// heldAlready returns the grant when granting in would change nothing,
// before the transaction takes the access version: that row's lock orders
// the access changes of every replica, and a transaction holding it waits
// for nothing else and makes every other access change wait until it
// commits. The grant found is locked against change until tx ends, so
// that a revocation waits for the transaction and then sees what it
// committed. It returns nil (and the caller grants as Grant does, taking
// the version) when the grant would change, when the transaction has taken
// the version already, when the index knows no active grant of the
// principal in the database (see grantIn), or when the probe fails for any reason but the
// store's own: the full grant then reads again under the version's lock and
// reports what it finds. A grant that would change loses the probe's lock
// first (a savepoint's rollback, on a store that locks rows), so that the
// transaction waits for the version holding no grant an access change
// holding the version may wait for.
func (s *Service) heldAlready(ctx context.Context, tx store.Tx, a *mesh.Actor, in GrantInput) (*mesh.Grant, error) {
	if tx.Local(s) != nil || !s.index.Holds(in.Principal, in.Resource.Database) {
		return nil, nil // the version is taken, or the principal most likely holds nothing there
	}
	const sp = "access_held_probe"
	if s.rowLocks {
		if err := tx.Savepoint(ctx, sp); err != nil {
			return nil, err
		}
	}
	c := newChanges()
	c.probe = true
	g, err := s.grantIn(ctx, tx, c, a, in)
	if s.rowLocks {
		end := tx.ReleaseSavepoint
		if err != nil && !errors.Is(err, errNoGrant) {
			end = tx.RollbackToSavepoint // lets go of the grant, and of a failed statement
		}
		if err := end(ctx, sp); err != nil {
			return nil, err
		}
	}
	switch {
	case err == nil:
		return g, nil
	case errors.Is(err, errWouldChange), mesh.ErrorCode(err) != mesh.EINTERNAL:
		return nil, nil
	}
	return nil, err
}

// OrderTx takes the access version for tx, as its first GrantTx or
// RevokeTx would (once a transaction): every other transaction's access
// change is then either committed, and what tx reads next shows it, or
// waits for tx. A caller that decides what to revoke from what it reads
// (the requests still shared through a grant) reads after OrderTx, so that
// two such decisions at once see each other.
func (s *Service) OrderTx(ctx context.Context, tx store.Tx) error {
	_, err := s.inTx(ctx, tx, false, func(*changes) (*mesh.Grant, error) { return nil, nil })
	return err
}

// RevokeTx is Revoke inside the caller's transaction; see GrantTx.
// Errors: as Revoke.
func (s *Service) RevokeTx(ctx context.Context, tx store.Tx, in GrantInput) (*mesh.Grant, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(true); err != nil {
		return nil, err
	}
	return s.inTx(ctx, tx, false, func(c *changes) (*mesh.Grant, error) { return s.revokeIn(ctx, tx, c, a, in) })
}

// txChanges is what one transaction's GrantTx and RevokeTx calls changed,
// kept as the transaction's Local value under the service: how it holds
// the access version and each call's changes, the last call's first, each
// linked to what the calls before had kept. A value is never changed once
// kept, so that a savepoint's rollback, which brings back the value kept
// before it, also forgets the calls it undid.
type txChanges struct {
	// adding: the calls so far only added (AddAccessVersion); a call that
	// revokes bumps the version first.
	adding  bool
	part    *changes // nil for the value kept before the first call
	earlier *txChanges
	// reload: a call failed after writing part of its work, which the
	// transaction may still commit; the index then reads what committed.
	reload bool
}

// inTx runs fn, one GrantTx (adding) or RevokeTx call, holding the access
// version: to add (store.Tx.AddAccessVersion), so that the grants of
// several transactions are made at once, or exclusively when the call
// revokes or the transaction's calls before it held it only to add. Once
// the transaction commits, the index is brought up to date (applyCommitted).
func (s *Service) inTx(ctx context.Context, tx store.Tx, adding bool, fn func(c *changes) (*mesh.Grant, error)) (*mesh.Grant, error) {
	tc, _ := tx.Local(s).(*txChanges)
	c := newChanges()
	switch {
	case tc == nil && adding:
		if _, err := tx.AddAccessVersion(ctx); err != nil {
			return nil, err
		}
		c.bumped, c.adding = true, true
	case tc == nil || tc.adding && !adding:
		if err := c.bump(ctx, tx); err != nil {
			return nil, err
		}
	default:
		c.bumped, c.adding = true, tc.adding
	}
	if tc == nil {
		tc = &txChanges{}
		tx.AfterCommit(func() { s.applyCommitted(ctx, tx) })
	}
	g, err := fn(c)
	if err != nil {
		tx.SetLocal(s, &txChanges{adding: c.adding, part: tc.part, earlier: tc.earlier, reload: true})
	} else {
		tx.SetLocal(s, &txChanges{adding: c.adding, part: c, earlier: tc, reload: tc.reload})
	}
	return g, err
}

// applyCommitted brings the index up to date with what the transaction's
// calls committed (its last txChanges: the store forgets what a savepoint's
// rollback undid). They are applied directly when their version is the
// next one, as Grant's own transactions are. A version further on (another
// process's change in between) reloads by difference; one the index has
// passed was read by a refresh already.
func (s *Service) applyCommitted(ctx context.Context, tx store.Tx) {
	last, _ := tx.Local(s).(*txChanges)
	if last == nil {
		return
	}
	var parts []*changes // in the order of the calls
	for tc := last; tc != nil; tc = tc.earlier {
		if tc.part != nil {
			parts = append(parts, tc.part)
		}
	}
	slices.Reverse(parts)
	version := tx.CommittedAccessVersion()
	if version == 0 {
		return // it took none, or wrote nothing
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	prev := s.index.Version()
	switch {
	case version <= prev:
	case version == prev+1 && !last.reload:
		merged := newChanges()
		for _, c := range parts {
			merged.absorb(c)
		}
		put, removed := merged.grantLists()
		s.index.Apply(version, put, removed)
		for _, c := range parts { // in order: a link made, then removed
			s.applyLinks(c)
		}
	default:
		if err := s.refreshLocked(context.WithoutCancel(ctx)); err != nil {
			s.dirty.Store(true) // the next tick reloads
		}
	}
}
