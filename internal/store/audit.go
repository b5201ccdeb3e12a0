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
}

// Audit records a successful change made by the actor in ctx, in tx, so the
// record commits or rolls back with the change itself.
func Audit(ctx context.Context, tx Tx, now time.Time, action, resource, detail string) error {
	e := mesh.NewAuditEntry(mesh.ActorFromContext(ctx), now, action, resource)
	e.Detail = detail
	return tx.InsertAudit(ctx, &e)
}
