package auth

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// MaxAuditPage bounds one page of audit entries.
const MaxAuditPage = 1000

// FindAuditEntries returns audit entries matching f, newest first. Only
// mesh admins may read the audit log. Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN.
func (s *Service) FindAuditEntries(ctx context.Context, f store.AuditFilter) ([]*mesh.AuditEntry, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !actor.IsMeshAdmin() {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may read the audit log")
	}
	if f.Limit < 0 || f.Limit > MaxAuditPage {
		return nil, mesh.Invalid("limit", "must be between 1 and %d", MaxAuditPage)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, mesh.Invalid("until", "must be after since")
	}
	var out []*mesh.AuditEntry
	err = s.store.View(ctx, func(tx store.Tx) error {
		out, err = tx.FindAuditEntries(ctx, f)
		return err
	})
	if out == nil {
		out = []*mesh.AuditEntry{}
	}
	return out, err
}
