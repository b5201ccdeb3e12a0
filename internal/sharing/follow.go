package sharing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/meshgate/meshgate/internal/catalog"
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
// of the sharing service run before the access service's; and the
// executions of several requests are locked in the order of their ids,
// as every batch of decisions locks them (lockExecutions).

// OnCatalogDelete ends the open requests of a database, or of one table,
// being deleted: their approval, if given, would share what no longer
// exists, or a database made later under the same name.
func (s *Service) OnCatalogDelete(ctx context.Context, tx store.Tx, database, table string) error {
	f, what := store.RequestFilter{Database: database}, "database "+database
	if table != "" {
		f.Table, what = table, "table "+database+"."+table
	}
	_, err := s.endOpen(ctx, tx, stopping{filter: f, errName: ErrProductDeleted,
		cause: func(*mesh.AccessRequest) string { return what + " was deleted while the request was open" }})
	return err
}

// deletedCause says what of r an offboarding deletes: a table's, its
// table, deleted before its database.
func deletedCause(r *mesh.AccessRequest) string {
	return what(r) + " was deleted while the request was open"
}

// OnOwnerChange ends the requests of databases waiting for the approval of
// an account that no longer owns them (owner "": the databases name none),
// and gives the databases' requests to the new owner, in one statement for
// all of them. The new owner decides from its own requests: asked again, a
// request waits for its approval. Requests not yet looked up read the new
// owner.
func (s *Service) OnOwnerChange(ctx context.Context, tx store.Tx, databases []string, from, owner string) error {
	if _, err := s.endOpen(ctx, tx, ownerChanged(databases, owner)); err != nil || owner == "" || from == "" {
		return err
	}
	// The requests' rows, shared ones among them, are written under the
	// access version, after the executions, as endShared writes them: a
	// revocation holding the version waits for none of them here.
	if err := s.access.OrderTx(ctx, tx); err != nil {
		return err
	}
	// the new owner's admins and approvers see the products' requests, and
	// the former owner's no longer do
	return tx.SetRequestsOwner(ctx, databases, from, owner)
}

// ownerChanged selects the open requests of databases that wait for the
// approval of another account than owner, their new owner.
func ownerChanged(databases []string, owner string) stopping {
	f := store.RequestFilter{Databases: databases}
	if len(databases) == 1 {
		f = store.RequestFilter{Database: databases[0]} // the index of open requests leads with it
	}
	return stopping{filter: f, errName: ErrOwnerChanged,
		end: func(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (bool, error) {
			if r.Status != mesh.RequestPendingApproval {
				return false, nil // not looked up yet: it reads the new owner
			}
			// recorded with the status, in the approval task's transaction
			ap, err := tx.FindApproval(ctx, r.ID)
			return err == nil && ap.AccountID != owner, err
		},
		cause: func(r *mesh.AccessRequest) string {
			if owner == "" {
				return fmt.Sprintf("database %s no longer names an owner (data_owner)", r.Database)
			}
			return fmt.Sprintf("account %s owns database %s now; ask again for its approval", owner, r.Database)
		}}
}

// Offboard ends the open requests made by or for an account being
// offboarded (an account onboarded later under its id inherits none), and
// those of its products that the offboarding ends: all of them when the
// products are deleted, those waiting for its approval when they are
// handed to transferTo; it returns them for the offboarding's audit. Its
// shared requests end with their grants (grantEnded).
//
// It runs first of the offboarding's clean-ups, before the access service
// takes the access version, and locks the executions of all these open
// requests, in the order of their ids: the catalog's hooks that delete or
// hand over the products later in the transaction then find the requests
// ended or held, and lock no execution after the access version, which a
// share task holding its execution waits for. A request made meanwhile
// holds the accounts this one's offboarding locked first (heldProduct): it
// committed before, and is found here, or waits for the offboarding.
func (s *Service) Offboard(ctx context.Context, tx store.Tx, accountID, transferTo string) ([]string, error) {
	owned, err := catalog.OwnedDatabases(ctx, tx, accountID)
	if err != nil {
		return nil, err
	}
	products := make([]string, len(owned))
	for i, d := range owned {
		products[i] = d.Name
	}
	stops := []stopping{{filter: store.RequestFilter{VisibleAccount: accountID}, errName: ErrAccountOffboarded,
		cause: func(*mesh.AccessRequest) string {
			return "account " + accountID + " was offboarded while the request was open"
		}}}
	switch {
	case len(products) == 0:
	case transferTo == "":
		stops = append(stops, stopping{filter: store.RequestFilter{Databases: products}, errName: ErrProductDeleted, cause: deletedCause})
	default:
		stops = append(stops, ownerChanged(products, transferTo))
	}
	return s.endOpen(ctx, tx, stops...)
}

// stopping selects open requests to end: those filter finds that end
// selects (nil: all), their executions stopped with errName and cause.
type stopping struct {
	filter  store.RequestFilter
	end     func(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (bool, error)
	errName string
	cause   func(r *mesh.AccessRequest) string
}

// endOpen stops the executions of the open requests stops select (a request
// two select goes by the first) and returns the requests. It finds them
// all first, then locks their executions in the order of their ids, and
// decides on each request as it is once its execution is held: a step
// that committed in between (a request now shared, or waiting for another
// approval) counts, and none comes after.
func (s *Service) endOpen(ctx context.Context, tx store.Tx, stops ...stopping) ([]string, error) {
	type found struct {
		r  *mesh.AccessRequest
		by *stopping
	}
	var all []found
	seen := map[int64]bool{}
	for i := range stops {
		f := stops[i].filter
		f.Open, f.Limit = true, 100
		for {
			rs, err := tx.FindAccessRequests(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, r := range rs { // newest first
				f.BeforeID = r.ID
				if !seen[r.ID] {
					seen[r.ID] = true
					all = append(all, found{r, &stops[i]})
				}
			}
			if len(rs) < f.Limit {
				break
			}
		}
	}
	slices.SortFunc(all, func(a, b found) int { return cmp.Compare(a.r.ExecutionID, b.r.ExecutionID) })
	var ended []string
	for _, c := range all {
		if _, err := tx.LockExecution(ctx, c.r.ExecutionID); err != nil {
			return ended, err
		}
		r, err := tx.FindAccessRequest(ctx, c.r.ID)
		if err != nil {
			return ended, err
		}
		if !r.Open() {
			continue
		}
		if c.by.end != nil {
			ok, err := c.by.end(ctx, tx, r)
			if err != nil {
				return ended, err
			}
			if !ok {
				continue
			}
		}
		if _, err := s.engine.StopExecutionTx(ctx, tx, r.ExecutionID, c.by.errName, c.by.cause(r)); err != nil {
			return ended, err
		}
		ended = append(ended, requestResource(r))
	}
	return ended, nil
}
