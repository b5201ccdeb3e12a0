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

// refreshAfter brings the index up to date once tx commits. The store
// forgets this for work a savepoint rollback undid (a failed task), so c
// holds what committed: applied directly when it is the next version, as
// Grant's own transactions are. A version further on (another process's
// change in between) reloads by difference; one the index has passed was
// read by a refresh already. Several changes in one transaction apply in
// order, their versions following one another.
func (s *Service) refreshAfter(ctx context.Context, tx store.Tx, c *changes) {
	tx.AfterCommit(func() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		prev := s.index.Version()
		switch {
		case c.version <= prev:
		case c.version == prev+1:
			put := make([]*mesh.Grant, 0, len(c.put))
			for _, g := range c.put {
				put = append(put, g)
			}
			removed := make([]int64, 0, len(c.removed))
			for id := range c.removed {
				removed = append(removed, id)
			}
			s.index.Apply(c.version, put, removed)
			for _, l := range c.unlinked {
				s.index.RemoveLink(l)
			}
			for _, l := range c.links {
				s.index.PutLink(l)
			}
		default:
			if err := s.refreshLocked(context.WithoutCancel(ctx)); err != nil {
				s.dirty.Store(true) // the next tick reloads
			}
		}
	})
}
