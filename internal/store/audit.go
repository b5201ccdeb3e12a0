package store

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// AuditFilter selects audit entries, newest first. Zero fields match everything.
type AuditFilter struct {
	Principal string
	AccountID string
	Action    string // exact action, or a prefix ending in "*"
	Resource  string // exact resource, or a prefix ending in "*"
	Result    string
	Since     time.Time
	Until     time.Time
	// BeforeID continues a listing: only entries with a smaller id.
	BeforeID int64
	Limit    int
}

// AuditTx is the audit part of a transaction.
type AuditTx interface {
	// InsertAudit appends e and sets its ID.
	InsertAudit(ctx context.Context, e *mesh.AuditEntry) error
	// FindAuditEntries returns entries matching f, newest first, at most f.Limit (default 100).
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*mesh.AuditEntry, error)
	// DeleteAuditBefore deletes at most limit entries older than before,
	// oldest first, and returns how many it deleted; retention calls it in
	// batches so that no one transaction holds the log for long.
	DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// Audit records a successful change made by the actor in ctx, in tx, so the
// record commits or rolls back with the change itself.
func Audit(ctx context.Context, tx Tx, now time.Time, action, resource, detail string) error {
	e := mesh.NewAuditEntry(mesh.ActorFromContext(ctx), now, action, resource)
	e.Detail = detail
	return tx.InsertAudit(ctx, &e)
}

// Sizer is implemented by stores that can tell how much disk they take, for
// the server's meshgate_store_size_bytes gauge.
type Sizer interface {
	// Size returns the bytes the store's data takes on disk: for SQLite its
	// database file and write-ahead log, for PostgreSQL its schema's tables
	// with their indexes and TOAST.
	Size(ctx context.Context) (int64, error)
}
