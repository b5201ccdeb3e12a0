package access

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// OnCatalogDelete revokes everything that refers to a deleted database
// (table empty) or table: grants, and through them shares, links and what
// was granted from them; each revocation is audited. The catalog calls it
// inside its delete transaction. Until that commits, the index already
// denies the resource (failing closed); see settleAfter for the rest.
func (s *Service) OnCatalogDelete(ctx context.Context, tx store.Tx, database, table string) error {
	c := newChanges()
	if err := c.bump(ctx, tx); err != nil {
		return err
	}
	gs, err := tx.FindGrants(ctx, store.GrantFilter{Database: database, Table: table})
	if err != nil {
		return err
	}
	what := "database " + database
	if table != "" {
		what = "table " + database + "." + table
	}
	if err := s.deleteGrants(ctx, tx, c, gs, what+" was deleted"); err != nil {
		return err
	}
	shares, err := tx.FindShares(ctx, store.ShareFilter{Database: database})
	if err != nil {
		return err
	}
	for _, sh := range shares {
		if table == "" || sh.Table == table {
			if err := s.endShareIfEmpty(ctx, tx, c, sh.ID); err != nil {
				return err
			}
		}
	}
	if err := c.bump(ctx, tx); err != nil {
		return err
	}
	s.index.RemoveResource(database, table)
	for _, l := range c.unlinked {
		s.index.RemoveLink(l)
	}
	s.settleAfter(ctx, tx)
	return nil
}

// deleteGrants deletes the grants gs, with their cascades, for reason.
func (s *Service) deleteGrants(ctx context.Context, tx store.Tx, c *changes, gs []*mesh.Grant, reason string) error {
	for _, g := range gs {
		g, err := tx.FindGrantByID(ctx, g.ID) // an earlier cascade may have changed or removed it
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.deleteGrant(ctx, tx, c, g, reason); err != nil {
			return err
		}
	}
	return nil
}

// settleAfter follows a hook that changed the index inside the caller's
// transaction. The index is marked for a reload, which the next tick does if
// the transaction rolls back; once it commits, the index is reloaded before
// the deletion is acknowledged, since a refresh that ran while the
// transaction was open read the grants it was removing. It is marked again
// at the commit, since such a refresh also took the first mark: the refresh
// after the commit then reloads in full either way (deleting a database and
// offboarding are rare; a full reload is their price).
func (s *Service) settleAfter(ctx context.Context, tx store.Tx) {
	s.dirty.Store(true)
	tx.AfterCommit(func() {
		s.dirty.Store(true)
		if err := s.Refresh(context.WithoutCancel(ctx)); err != nil {
			s.dirty.Store(true) // the next tick tries again
		}
	})
}

// OnUserDelete ends, inside the transaction that deletes the user, every
// grant the user holds, with their cascades (what it granted from its grant
// option ends too), each audited. Grants name their principal by account and
// username, so a grant left behind would go to the next user given that
// name. The auth service calls it (auth.Service.OnDeleteUser).
//
// The access version is taken first: a grant to the user that another
// transaction is making either committed before (and is found here) or
// waits, and then finds the user gone. As for offboarding, the index drops
// the grants at once and is reloaded once the transaction commits.
func (s *Service) OnUserDelete(ctx context.Context, tx store.Tx, accountID, username string) error {
	c := newChanges()
	if err := c.bump(ctx, tx); err != nil {
		return err
	}
	p := mesh.UserPrincipal(accountID, username)
	gs, err := tx.FindGrants(ctx, store.GrantFilter{Principal: p})
	if err != nil || len(gs) == 0 {
		return err
	}
	if err := s.deleteGrants(ctx, tx, c, gs, "user "+string(p)+" was deleted"); err != nil {
		return err
	}
	if err := c.bump(ctx, tx); err != nil {
		return err
	}
	for id := range c.removed {
		s.index.Remove(id)
	}
	for _, l := range c.unlinked {
		s.index.RemoveLink(l)
	}
	s.settleAfter(ctx, tx)
	return nil
}
