package platform

import (
	"context"
	"fmt"
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
	// Note says what the plan could not learn from the platform: whether
	// the role exists, when the platform did not answer in time. The
	// CREATE ROLE is then left out, and named here.
	Note string `json:"note,omitempty"`
}

// Plan returns the statements each platform would run for the proposed
// grant or revoke, given meshgate's grants now (an empty list when the
// resource is on no registered platform). Whether the role exists is asked
// after the store's read, within roleCheckTimeout (see roleCheck).
// Mesh admins and the admins of the platform's owning account may ask.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
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
	var entry *plannedEntry
	err = s.store.View(ctx, func(tx store.Tx) error {
		entry, err = s.planTx(ctx, tx, in)
		if err != nil || entry == nil {
			return err
		}
		if !a.IsMeshAdmin() && !a.IsAdminOf(entry.rec.AccountID) {
			return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and admins of account %s see plans for platform %s", entry.rec.AccountID, entry.Platform)
		}
		return nil
	})
	if err != nil || entry == nil {
		return []PlanEntry{}, err
	}
	s.checkRole(ctx, entry, true)
	return []PlanEntry{entry.PlanEntry}, nil
}

// plannedEntry is a plan with its platform, and the role whose existence
// decides whether it starts with creating it.
type plannedEntry struct {
	PlanEntry
	rec *store.PlatformRecord
	// check is the role to ask about ("" when the plan creates no role),
	// create the statement that creates it.
	check, create string
}

// planTx computes a plan from the store, in the caller's transaction; nil
// when the resource is on no platform. It does not ask the platform
// anything: checkRole does.
func (s *Service) planTx(ctx context.Context, tx store.Tx, in PlanInput) (*plannedEntry, error) {
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
	if stmts == nil {
		stmts = []string{}
	}
	e := &plannedEntry{PlanEntry: PlanEntry{Platform: rec.Name, Kind: rec.Kind, Statements: stmts}, rec: rec}
	// The applier creates a missing role before granting to it, when it may.
	if role := sc.roleOf(in.Principal); role != "" && !in.Revoke && rec.CreateRoles && len(grant) > 0 {
		e.check, e.create = role, d.CreateRole(role)
	}
	return e, nil
}

// checkRole asks the platform whether the plan's role exists (see
// roleCheck; dial only outside a store transaction), and starts the plan
// with creating it when it is missing. When the platform cannot tell, the
// plan leaves the CREATE ROLE out and its note says so.
func (s *Service) checkRole(ctx context.Context, e *plannedEntry, dial bool) {
	if e.check == "" {
		return
	}
	ok, err := s.roleCheck(ctx, e.rec, e.check, dial)
	switch {
	case err != nil:
		e.Note = fmt.Sprintf("could not ask platform %s whether role %s exists (%v): if it is missing, %s runs first", e.rec.Name, e.check, err, e.create)
	case !ok:
		e.Statements = append([]string{e.create}, e.Statements...)
	}
}
