package sharing

import (
	"context"
	"fmt"

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

// Open requests follow what they ask for: when it goes from under them, in
// the transaction that takes it, their executions stop with an error that
// says why, and the requests end FAILED with it (executionEnded: the
// approval withdrawn, audited, the requester told). Each stops the
// execution under its lock before the access version's, the order the
// workflow's tasks take them in, so the catalog's and the accounts' hooks
// of the sharing service run before the access service's.

// OnCatalogDelete ends the open requests of a database, or of one table,
// being deleted: their approval, if given, would share what no longer
// exists, or a database made later under the same name.
func (s *Service) OnCatalogDelete(ctx context.Context, tx store.Tx, database, table string) error {
	f, what := store.RequestFilter{Database: database}, "database "+database
	if table != "" {
		f.Table, what = table, "table "+database+"."+table
	}
	_, err := s.endOpen(ctx, tx, f, nil, ErrProductDeleted, what+" was deleted while the request was open")
	return err
}

// OnOwnerChange ends the requests of a database waiting for the approval of
// an account that no longer owns it (owner "": the database names none),
// and gives the database's requests to the new owner. The new owner decides
// from its own requests: asked again, a request waits for its approval.
// Requests not yet looked up read the new owner.
func (s *Service) OnOwnerChange(ctx context.Context, tx store.Tx, database, from, owner string) error {
	waitsForOld := func(r *mesh.AccessRequest) (bool, error) {
		if r.Status != mesh.RequestPendingApproval {
			return false, nil // not looked up yet: it reads the new owner
		}
		// recorded with the status, in the approval task's transaction
		ap, err := tx.FindApproval(ctx, r.ID)
		return err == nil && ap.AccountID != owner, err
	}
	cause := fmt.Sprintf("account %s owns database %s now; ask again for its approval", owner, database)
	if owner == "" {
		cause = fmt.Sprintf("database %s no longer names an owner (data_owner)", database)
	}
	if _, err := s.endOpen(ctx, tx, store.RequestFilter{Database: database}, waitsForOld, ErrOwnerChanged, cause); err != nil || owner == "" || from == "" {
		return err
	}
	// the new owner's admins and approvers see the product's requests, and
	// the former owner's no longer do
	return tx.SetRequestsOwner(ctx, database, from, owner)
}

// Offboard ends the open requests made by or for an account being
// offboarded (an account onboarded later under its id inherits none), and
// returns them for the offboarding's audit. Its shared requests end with
// their grants (grantEnded).
func (s *Service) Offboard(ctx context.Context, tx store.Tx, accountID, _ string) ([]string, error) {
	return s.endOpen(ctx, tx, store.RequestFilter{VisibleAccount: accountID}, nil, ErrAccountOffboarded,
		"account "+accountID+" was offboarded while the request was open")
}

// endOpen stops the executions of the open requests f selects (those end
// selects, nil for all) with errName and cause, and returns the requests.
func (s *Service) endOpen(ctx context.Context, tx store.Tx, f store.RequestFilter, end func(*mesh.AccessRequest) (bool, error), errName, cause string) ([]string, error) {
	var ended []string
	f.Open, f.Limit = true, 100
	for {
		rs, err := tx.FindAccessRequests(ctx, f)
		if err != nil || len(rs) == 0 {
			return ended, err
		}
		for _, r := range rs { // newest first
			f.BeforeID = r.ID
			if end != nil {
				ok, err := end(r)
				if err != nil {
					return ended, err
				}
				if !ok {
					continue
				}
			}
			if _, err := s.engine.StopExecutionTx(ctx, tx, r.ExecutionID, errName, cause); err != nil {
				return ended, err
			}
			ended = append(ended, requestResource(r))
		}
	}
}
