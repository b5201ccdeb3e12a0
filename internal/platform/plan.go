package platform

import (
	"context"
	"fmt"
	"strings"
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
	// Note says what the apply reports rather than runs (what reaches the
	// imported tables through the role from beyond them, on a role
	// meshgate does not end it for), and what the plan could not learn
	// from the platform when it did not answer in time: whether the role
	// exists (the CREATE ROLE is then left out, and named here), and what
	// the apply ends or reports beyond the statements.
	Note string `json:"note,omitempty"`
}

// Plan returns the statements each platform would run for the proposed
// grant or revoke, given meshgate's grants now (an empty list when the
// resource is on no registered platform). Whether the role exists, and
// what reaches the imported tables through it from beyond them, are asked
// after the store's read, within roleCheckTimeout (see askPlatform).
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
	s.askPlatform(ctx, entry, true)
	return []PlanEntry{entry.PlanEntry}, nil
}

// plannedEntry is a plan with its platform and scope, and the role it
// grants to or revokes from.
type plannedEntry struct {
	PlanEntry
	rec  *store.PlatformRecord
	sc   *scope
	role string // "" when the principal maps to no role
	// create is the statement that creates role, when the plan may need it.
	create string
}

// planTx computes a plan from the store, in the caller's transaction; nil
// when the resource is on no platform. It does not ask the platform
// anything: askPlatform does.
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
	e := &plannedEntry{PlanEntry: PlanEntry{Platform: rec.Name, Kind: rec.Kind, Statements: stmts}, rec: rec, sc: sc, role: sc.roleOf(in.Principal)}
	// The applier creates a missing role before granting to it, when it may.
	if e.role != "" && !in.Revoke && rec.CreateRoles && len(grant) > 0 {
		e.create = d.CreateRole(e.role)
	}
	return e, nil
}

// askPlatform asks the platform what the plan's store read cannot tell
// (see ask), so that the plan says what the apply does: whether the role
// exists, when the plan would create it, and what reaches the imported
// tables through the role from beyond them (a grant on more than the
// schema, a membership), which the apply ends or reports (scope.beyond).
// The plan then starts with the CREATE ROLE when the role is missing, ends
// with the statements that end what reaches the tables, and notes what
// the apply reports. When the platform cannot tell, the note says what
// the apply may run or report. Inside a store transaction (dial unset)
// only whether the role exists is asked, on a connection already open:
// the rest would be asked for every approval's preview in a fixed mapping,
// with the store's read held open.
func (s *Service) askPlatform(ctx context.Context, e *plannedEntry, dial bool) {
	if e.role == "" {
		return
	}
	exists := true
	var wide []Privilege
	var ms []Membership
	var err error
	if e.create != "" || dial {
		err = s.ask(ctx, e.rec, dial, func(ctx context.Context, c Conn) (err error) {
			if e.create != "" {
				if exists, err = c.RoleExists(ctx, e.role); err != nil || !exists {
					return err
				}
			}
			if !dial {
				return nil
			}
			tables := sortedKeys(e.sc.native)
			mine := func(r string) bool { return r == e.role }
			ps, err := c.Privileges(ctx, e.sc.schema, tables, mine)
			if err != nil {
				return err
			}
			wide = e.sc.wider(ps)
			ms, err = c.Memberships(ctx, e.sc.schema, tables, mine)
			return err
		})
	}
	var notes []string
	switch {
	case err != nil:
		missing := ""
		if e.create != "" {
			missing = fmt.Sprintf(": if it is missing, %s runs first", e.create)
		}
		notes = append(notes, fmt.Sprintf("could not ask platform %s about role %s (%v)%s", e.rec.Name, e.role, err, missing), e.unasked())
	case !exists:
		e.Statements = append([]string{e.create}, e.Statements...)
	case !dial:
		notes = append(notes, fmt.Sprintf("this preview does not ask platform %s about role %s", e.rec.Name, e.role), e.unasked())
	default:
		end, report := e.sc.beyond(wide, ms)
		e.Statements = append(e.Statements, end[e.role]...)
		if report[e.role] != nil {
			// one line: the CLI writes a note as a comment
			notes = append(notes, "the apply runs these and reports: "+strings.ReplaceAll(report[e.role].Error(), "\n", "; "))
		}
	}
	e.Note = strings.Join(notes, "; ")
}

// unasked says what the apply does with what reaches the imported tables
// through the plan's role from beyond them, for a plan that could not ask.
func (e *plannedEntry) unasked() string {
	const what = "what reaches the imported tables through it from beyond them (a membership in a role holding privileges on them, or a grant on more than their schema)"
	if e.sc.ends(e.role, false) {
		return "the apply also ends " + what
	}
	return "the apply also reports " + what + ", failing the role's grants until that is ended by hand"
}
