// Package store defines meshgate's persistence boundary: a Store runs
// transactions, and a Tx offers the operations of every domain area. The
// sqlite and postgres packages implement it; storetest is the suite both pass.
//
// Each area declares its part of Tx in a file of its own (account.go,
// catalog.go, ...), and each implementation keeps that area's SQL in the file
// of the same name.
package store

import (
	"context"
	"errors"
)

// Store is a transactional store.
type Store interface {
	// Update runs fn in a read-write transaction and commits it if fn returns
	// nil; the commit is durable before Update returns. On error everything fn
	// did is rolled back and the error is returned.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Dialect names the implementation: "sqlite" or "postgres".
	Dialect() string
	// Transient reports whether err, from this store, is a conflict the
	// database broke by aborting this side (a deadlock, a serialization
	// failure): the same work, run again, may succeed.
	Transient(err error) bool
	// Close releases the store's connections.
	Close() error
}

// maxTries bounds the runs of one UpdateRetrying.
const maxTries = 5

// UpdateRetrying is s.Update, run again while the store aborts it to break a
// deadlock or a serialization failure (Transient), up to five runs in all.
// PostgreSQL aborts one side of a deadlock: two transactions each waiting
// for a row lock the other holds, such as a sharing transaction holding a
// grant it found held already while waiting for the access version, and
// an access change holding the version while waiting for that grant. fn
// must be safe to run again: what it keeps outside the transaction, it sets
// anew.
func UpdateRetrying(ctx context.Context, s Store, fn func(Tx) error) error {
	var err error
	for range maxTries {
		if err = s.Update(ctx, fn); err == nil || !s.Transient(err) {
			return err
		}
	}
	return err
}

// RowLocking is implemented by stores whose transactions lock rows one by
// one (PostgreSQL), so that two of them may wait for each other: a lock a
// transaction took only to look is worth releasing, through a savepoint's
// rollback, before it waits for something else. SQLite's one writer needs
// none of that.
type RowLocking interface{ LocksRows() }

// Tx is one transaction. Its methods return *mesh.Error values for expected
// failures (ENOTFOUND, ECONFLICT, ...) and wrap anything else.
type Tx interface {
	// AfterCommit runs fn once the transaction has committed (a read
	// transaction: once it has ended without error), in the goroutine that
	// ran it, after the store is free again; not at all when it rolls back,
	// nor when a rollback to a savepoint undoes the work it was registered
	// after (RollbackToSavepoint forgets it).
	// Services bring in-memory state in line with what is now durable.
	AfterCommit(fn func())
	// Local returns what SetLocal last kept under key in this transaction,
	// or nil. SetLocal keeps v under key until the transaction ends or a
	// rollback to a savepoint set before it undoes it. Services keep there
	// what they gather across one transaction's calls.
	Local(key any) any
	SetLocal(key, v any)

	AccountTx
	AuthTx
	AuditTx
	SettingTx
	OIDCTx
	CatalogTx
	AccessTx
	WorkflowTx
	SharingTx
	NotifyTx
	PlatformTx
}

// ListLimit applies the default bound (100) of a listing whose filter leaves
// Limit at zero.
func ListLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return n
}

// ErrSchemaTooNew is returned by Open when the store was migrated by a newer
// meshgate than this binary.
var ErrSchemaTooNew = errors.New("store schema is newer than this meshgate binary")

// As finds, in s or the stores it wraps (through an Unwrap() Store method, as
// the server's instrumented store has), the first that implements T, as
// errors.As does for errors. Optional store capabilities such as
// AccessListener are looked up with it, so wrapping a store never hides them.
func As[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}
