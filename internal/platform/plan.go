package platform

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// PlanInput is a proposed grant, or with Revoke set a proposed revocation.
type PlanInput struct {
	Principal   mesh.Principal   `json:"principal"`
	Resource    mesh.Resource    `json:"resource"`
	Permissions mesh.Permissions `json:"permissions"`
	Revoke      bool             `json:"revoke,omitempty"`
}

// PlanEntry is what one platform would run.
type PlanEntry struct {
	Platform   string   `json:"platform"`
	Kind       string   `json:"kind"`
	Statements []string `json:"statements"`
}

// Plan returns the statements each platform would run for the proposed
// grant or revoke, given meshgate's grants now (an empty list when the
// resource is on no registered platform). Mesh admins and the admins of the
// platform's owning account may ask. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) Plan(ctx context.Context, in PlanInput) ([]PlanEntry, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := mesh.ParsePrincipal("principal", string(in.Principal)); err != nil {
		return nil, err
	}
	in.Resource = in.Resource.Normalize()
	if err := in.Resource.Validate(); err != nil {
		return nil, err
	}
	if in.Permissions == 0 {
		return nil, mesh.Invalid("permissions", "name at least one permission")
	}
	out := []PlanEntry{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		entry, err := s.PlanTx(ctx, tx, in)
		if err != nil || entry == nil {
			return err
		}
		if !a.IsMeshAdmin() && !a.IsAdminOf(entry.account) {
			return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and admins of account %s see plans for platform %s", entry.account, entry.Platform)
		}
		out = append(out, entry.PlanEntry)
		return nil
	})
	return out, err
}

// PlannedEntry is a plan with the platform's owning account.
type PlannedEntry struct {
	PlanEntry
	account string
}

// PlanTx computes a plan inside the caller's transaction, for the approval
// API to show with a request; nil when the resource is on no platform.
func (s *Service) PlanTx(ctx context.Context, tx store.Tx, in PlanInput) (*PlannedEntry, error) {
	pid, err := tx.FindPlatformOfDatabase(ctx, in.Resource.Database)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := tx.FindPlatformByID(ctx, pid)
	if err != nil {
		return nil, err
	}
	d := s.drivers[rec.Kind]
	sc, err := loadScope(ctx, tx, rec, d, in.Resource.Database)
	if err != nil {
		return nil, err
	}
	grants, err := tx.FindGrants(ctx, store.GrantFilter{Database: in.Resource.Database})
	if err != nil {
		return nil, err
	}
	before := sc.desired(grants)
	after := make([]*mesh.Grant, 0, len(grants)+1)
	key := in.Resource.String()
	matched := false
	for _, g := range grants {
		if g.Principal == in.Principal && g.Resource.String() == key {
			cp := *g
			matched = true
			if in.Revoke {
				cp.Permissions = cp.Permissions.Without(in.Permissions)
			} else {
				cp.Permissions |= in.Permissions
				cp.Status = mesh.GrantActive
			}
			g = &cp
		}
		after = append(after, g)
	}
	if !matched && !in.Revoke {
		after = append(after, &mesh.Grant{Principal: in.Principal, Resource: in.Resource, Permissions: in.Permissions, Status: mesh.GrantActive, CreatedAt: time.Time{}})
	}
	want := sc.desired(after)
	grant, revoke := diff(want, before)
	grant = append(grant, retaken(want, before, revoke)...)
	stmts := statements(d, grant, revoke)
	if role := sc.roleOf(in.Principal); role != "" && !in.Revoke && rec.CreateRoles && len(grant) > 0 {
		if c, err := s.conn(ctx, rec); err == nil {
			if ok, err := c.RoleExists(ctx, role); err == nil && !ok {
				stmts = append([]string{d.CreateRole(role)}, stmts...)
			}
		}
	}
	if stmts == nil {
		stmts = []string{}
	}
	return &PlannedEntry{PlanEntry: PlanEntry{Platform: rec.Name, Kind: rec.Kind, Statements: stmts}, account: rec.AccountID}, nil
}
