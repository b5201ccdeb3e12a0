// Package catalog holds the central data catalog: databases, tables, columns,
// their parameters (data_owner, pii_flag, ...) and search.
//
// Every signed-in user may read the catalog. Who may change it is decided in
// one place, authorizeEdit: mesh admins change anything; a producer account's
// admins change the databases whose data_owner is their account, and those
// databases' tables. Every change is audited in its own transaction, and
// updates carry the version they read (a stale version is ECONFLICT and
// changes nothing). A write holds its database (store.CatalogTx.LockDatabase)
// and checks the editor against the owner it holds, so that the former
// owner's admins change nothing of a database given away while they wrote.
package catalog

import (
	"context"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// DeleteHook runs inside the transaction that deletes a catalog resource, so
// that what refers to it (grants, shares, links) goes with it or the delete
// fails. table is "" when the database itself is deleted; a database deleted
// with its tables calls each hook for each table first, then for the
// database, before the next hook.
type DeleteHook func(ctx context.Context, tx store.Tx, database, table string) error

// OwnerHook runs inside the transaction that gives databases their owner:
// creating one with a data_owner, changing its data_owner, or deleting it
// (owner ""), or an offboarding handing all of an account's databases to
// another at once (the hook is called once for them all, so that what it
// does for each goes in one statement); from is the owner they had ("" for
// none). Decisions that depend on ownership follow it before the change is
// acknowledged.
type OwnerHook func(ctx context.Context, tx store.Tx, databases []string, from, owner string) error

// Service manages the catalog.
type Service struct {
	store store.Store
	clock mesh.Clock

	mu         sync.RWMutex
	hooks      []DeleteHook
	ownerHooks []OwnerHook
}

// NewService returns the catalog service.
func NewService(s store.Store, clock mesh.Clock) *Service {
	if clock == nil {
		clock = mesh.SystemClock{}
	}
	return &Service{store: s, clock: clock}
}

// OnDelete registers h to run in the transaction of every database and table deletion.
func (s *Service) OnDelete(h DeleteHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, h)
}

// runDeleteHooks runs the delete hooks for tables of database ("" for the
// database itself), in their order. Each hook runs for all of them before
// the next hook runs: the sharing service's hook, registered first, locks
// the executions of every open request of the tables and of the database
// before the access service's takes the access version, the order in which
// the workflow's share task takes them.
func (s *Service) runDeleteHooks(ctx context.Context, tx store.Tx, database string, tables ...string) error {
	s.mu.RLock()
	hooks := s.hooks
	s.mu.RUnlock()
	for _, h := range hooks {
		for _, table := range tables {
			if err := h(ctx, tx, database, table); err != nil {
				return err
			}
		}
	}
	return nil
}

// OnOwnerChange registers h to run in the transaction of every change of a
// database's owner.
func (s *Service) OnOwnerChange(h OwnerHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ownerHooks = append(s.ownerHooks, h)
}

// ownerChanged runs the owner hooks when a database's owner goes from old to new.
func (s *Service) ownerChanged(ctx context.Context, tx store.Tx, database, old, new string) error {
	return s.ownersChanged(ctx, tx, []string{database}, old, new)
}

// ownersChanged runs the owner hooks once when the owner of databases goes
// from old to new.
func (s *Service) ownersChanged(ctx context.Context, tx store.Tx, databases []string, old, new string) error {
	if old == new || len(databases) == 0 {
		return nil
	}
	s.mu.RLock()
	hooks := s.ownerHooks
	s.mu.RUnlock()
	for _, h := range hooks {
		if err := h(ctx, tx, databases, old, new); err != nil {
			return err
		}
	}
	return nil
}

// authorizeRead lets every signed-in user discover catalog metadata.
func authorizeRead(actor *mesh.Actor) error {
	if actor == nil {
		return mesh.ErrSignInRequired()
	}
	return nil
}

// authorizeEdit is the one decision on who may change the catalog: mesh
// admins may change anything; an account's admins may change the databases
// whose data_owner is their account, and those databases' tables. owner is
// the data_owner of the database concerned ("" for a database without one,
// which only mesh admins may change).
func authorizeEdit(actor *mesh.Actor, owner string) error {
	if err := authorizeRead(actor); err != nil {
		return err
	}
	if actor.IsMeshAdmin() || owner != "" && actor.IsAdminOf(owner) {
		return nil
	}
	if owner == "" {
		return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may change catalog resources without a data_owner")
	}
	return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and admins of account %s (the data_owner) may change this", owner)
}

// editableDatabase reads database name in tx and checks with authorizeEdit
// that actor may change it and its tables. Errors: ENOTFOUND, EFORBIDDEN.
func editableDatabase(ctx context.Context, tx store.Tx, actor *mesh.Actor, name string) (*mesh.Database, error) {
	d, err := tx.FindDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := authorizeEdit(actor, d.DataOwner()); err != nil {
		return nil, err
	}
	return d, nil
}

// heldDatabase reads database name as committed and holds it until tx
// ends (store.CatalogTx.LockDatabase), and checks with authorizeEdit that
// actor may still change it: a write that read the database before a
// change of its owner committed would otherwise go on under the former
// owner's rights. Table creations and updates hold it from the start, so
// that a change of owner waits for them (they take no other lock it holds)
// before it reads the tables it hands over, or they wait for it and see
// the new owner; deletions, whose hooks take the access lock, which a
// change of owner takes before the database's row, hold it after their
// hooks.
// Errors: ENOTFOUND, EFORBIDDEN.
func heldDatabase(ctx context.Context, tx store.Tx, actor *mesh.Actor, name string) (*mesh.Database, error) {
	d, err := tx.LockDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := authorizeEdit(actor, d.DataOwner()); err != nil {
		return nil, err
	}
	return d, nil
}

// CanEdit reports whether the actor in ctx may change the database d and its
// tables (for showing edit controls; the services decide with the same rule).
func CanEdit(ctx context.Context, d *mesh.Database) bool {
	return authorizeEdit(mesh.ActorFromContext(ctx), d.DataOwner()) == nil
}

// DatabaseFilter selects databases; see store.DatabaseFilter.
type DatabaseFilter = store.DatabaseFilter

// TableFilter selects tables; see store.TableFilter.
type TableFilter = store.TableFilter

// SearchQuery is a full-text search; see store.SearchQuery.
type SearchQuery = store.SearchQuery

// SearchHit is one search result; see store.SearchHit.
type SearchHit = store.SearchHit

// MaxListLimit bounds one page of a listing.
const MaxListLimit = 1000

// validateOwnerFilter checks a listing's owner filter ("" for any owner).
func validateOwnerFilter(owner string) error {
	if owner == "" {
		return nil
	}
	return mesh.ValidateAccountID("owner", owner)
}

// requireVersion checks that an update names the version it was made from.
func requireVersion(expected int64) error {
	if expected <= 0 {
		return mesh.Invalid("version", "is required: send the version you read (If-Match header or \"version\")")
	}
	return nil
}

// view runs fn in a read transaction and returns what it read.
func view[T any](ctx context.Context, s store.Store, fn func(tx store.Tx) (T, error)) (T, error) {
	var out T
	err := s.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > MaxListLimit:
		return MaxListLimit
	}
	return n
}

// Search runs a ranked full-text search over database, table and column
// names, descriptions, comments and parameter values.
// Errors: EUNAUTHORIZED, EINVALID (query too long).
func (s *Service) Search(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return nil, err
	}
	if len(q.Text) > 512 {
		return nil, mesh.Invalid("q", "is longer than 512 characters")
	}
	return view(ctx, s.store, func(tx store.Tx) ([]SearchHit, error) {
		return tx.SearchCatalog(ctx, q)
	})
}

// HasPII reports whether a request for database.table touches personal data.
// For a whole database (table "" or "*") the database's own pii_flag and
// every table's and column's count. For one table, its own flag, its
// columns' and its database's count.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) HasPII(ctx context.Context, database, table string) (bool, error) {
	if err := authorizeRead(mesh.ActorFromContext(ctx)); err != nil {
		return false, err
	}
	return view(ctx, s.store, func(tx store.Tx) (bool, error) {
		return HasPIITx(ctx, tx, database, table)
	})
}

// HasPIITx is HasPII inside a caller's transaction (for the workflow's tasks);
// it checks no permissions.
func HasPIITx(ctx context.Context, tx store.Tx, database, table string) (bool, error) {
	d, err := tx.FindDatabase(ctx, database)
	if err != nil {
		return false, err
	}
	if d.PII() {
		return true, nil
	}
	if table == "" || table == "*" {
		return tx.TablesHavePII(ctx, database)
	}
	t, err := tx.FindTable(ctx, database, table)
	if err != nil {
		return false, err
	}
	return t.HasPII(), nil
}
