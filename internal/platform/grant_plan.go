package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// PlanGrant previews, for an approval, what the platform holding resource
// would run if perms were granted to target, read in the caller's
// transaction: nothing when no registered platform holds it. A principal
// that maps to no role (an account in per-user mode, or one missing from a
// fixed mapping) gets a plan with no statements and a note saying why.
// Inside the transaction the platform is asked nothing but, on a
// connection already open and within roleCheckTimeout, whether a role it
// would create exists; a plan that could not tell says so in its note. What
// reaches the imported tables through the role from beyond them is not
// asked: the note says what the apply does with it (see askPlatform).
func (s *Service) PlanGrant(ctx context.Context, tx store.Tx, resource mesh.Resource, perms mesh.Permissions, target mesh.Principal) ([]mesh.PlatformPlan, error) {
	in := PlanInput{Principal: target, Resource: resource.Normalize(), Permissions: perms}
	entry, err := s.planTx(ctx, tx, in)
	if err != nil || entry == nil {
		return nil, err
	}
	s.askPlatform(ctx, entry, false)
	rec := entry.rec
	p := mesh.PlatformPlan{Platform: entry.Platform, Kind: entry.Kind, Statements: entry.Statements, Role: entry.role}
	var notes []string
	switch {
	case p.Role == "" && rec.RoleMode == RolesFixed:
		notes = append(notes, fmt.Sprintf("%s maps to no role in platform %s's fixed mapping: the grant changes nothing there", target, rec.Name))
	case p.Role == "":
		notes = append(notes, fmt.Sprintf("platform %s gives each user a role of their own: a grant to account %s changes nothing there until the account's admins grant their users", rec.Name, target))
	case len(p.Statements) == 0:
		notes = append(notes, fmt.Sprintf("role %s already holds these privileges", p.Role))
	}
	if entry.Note != "" {
		notes = append(notes, entry.Note)
	}
	p.Note = strings.Join(notes, "; ")
	return []mesh.PlatformPlan{p}, nil
}
