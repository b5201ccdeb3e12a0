package sharing

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// grantEnded keeps shared requests in step with their grants: when a grant
// ends other than through the request (its database or table deleted, the
// owning or target account offboarded, a revocation by hand, a cascade),
// every request still SHARED through it becomes REVOKED with the reason,
// audited, in the transaction that ended the grant. A request ended through
// RevokeRequest or expiry is recorded before its grant goes, so it is not
// found here again.
func (s *Service) grantEnded(ctx context.Context, tx store.Tx, g *mesh.Grant, why string) error {
	by := s.system.Principal()
	if a, err := mesh.RequireActor(ctx); err == nil {
		by = a.Principal()
	}
	for {
		// each one found leaves SHARED, so the next query finds the rest
		rs, err := tx.FindAccessRequests(ctx, store.RequestFilter{GrantID: g.ID, Status: mesh.RequestShared, Limit: 100})
		if err != nil || len(rs) == 0 {
			return err
		}
		for _, r := range rs {
			if err := s.markEnded(ctx, tx, r, mesh.RequestRevoked, by, "access ended: "+why); err != nil {
				return err
			}
		}
	}
}
