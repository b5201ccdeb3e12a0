package access

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// GrantTx is Grant inside the caller's transaction, for work that must
// commit with something else: the data-sharing workflow's task resources
// grant in the transaction that records the state transition. The actor in
// ctx must have the authority Grant asks for (the workflow's is the
// system's). The decision index learns of the grant once the transaction
// commits; a rolled-back grant never reaches it.
// Errors: as Grant.
func (s *Service) GrantTx(ctx context.Context, tx store.Tx, in GrantInput) (*mesh.Grant, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	c := newChanges()
	if err := c.bump(ctx, tx); err != nil {
		return nil, err
	}
	g, err := s.grantIn(ctx, tx, c, a, in)
	if err != nil {
		return nil, err
	}
	s.refreshAfter(ctx, tx, c)
	return g, nil
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
	c := newChanges()
	if err := c.bump(ctx, tx); err != nil {
		return nil, err
	}
	g, err := s.revokeIn(ctx, tx, c, a, in)
	if err != nil {
		return nil, err
	}
	s.refreshAfter(ctx, tx, c)
	return g, nil
}

// refreshAfter brings the index up to date once tx commits, by difference
// from the store rather than from c: the caller's transaction may have
// rolled part of its work back to a savepoint (a failed task), which c
// cannot tell. Many changes in one transaction share the first refresh;
// the others find the index at their version already and cost nothing.
// A revocation is visible to decisions only after this refresh, as any
// change is until it commits.
func (s *Service) refreshAfter(ctx context.Context, tx store.Tx, c *changes) {
	tx.AfterCommit(func() {
		if c.version <= s.index.Version() {
			return
		}
		if err := s.Refresh(context.WithoutCancel(ctx)); err != nil {
			s.dirty.Store(true) // the next tick reloads
		}
	})
}
