package access

import (
	"context"

	"github.com/meshgate/meshgate/internal/store"
)

// OnOwnerChange follows databases' ownership (data_owner): the catalog
// calls it inside the transaction that creates a database with an owner,
// changes its owner, or deletes it (owner ""), or hands an offboarded
// account's databases over. It increments the access version once and
// records each database's change at it, so that other replicas hear of it
// (PostgreSQL's NOTIFY) and read it by difference on their next refresh;
// and once the transaction commits, before the catalog acknowledges the
// change, it applies it to this process's index.
func (s *Service) OnOwnerChange(ctx context.Context, tx store.Tx, databases []string, _, owner string) error {
	v, err := tx.BumpAccessVersion(ctx)
	if err != nil {
		return err
	}
	owners := make(map[string]string, len(databases))
	for _, database := range databases {
		if err := tx.RecordOwnerChange(ctx, database, owner); err != nil {
			return err
		}
		owners[database] = owner
	}
	tx.AfterCommit(func() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		switch have := s.index.Version(); {
		case have >= v:
			// A refresh since the commit read the change with the others.
		case have == v-1:
			s.index.ApplyOwners(v, owners)
		default:
			// Other changes came between: catch up by difference, which
			// reads this one too.
			if err := s.refreshLocked(context.WithoutCancel(ctx)); err != nil {
				// This change is committed: show it now, and leave the rest
				// to the next refresh.
				for database, owner := range owners {
					s.index.SetOwner(database, owner)
				}
				s.dirty.Store(true)
			}
		}
	})
	return nil
}
