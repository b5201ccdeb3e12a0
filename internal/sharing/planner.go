package sharing

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Planner previews what data platforms would run for a grant, so an
// approver sees the statements before deciding. The server wires it to the
// platform service; sharing knows nothing of platforms beyond it.
type Planner interface {
	// PlanGrant returns, for each registered platform holding resource, the
	// statements it would run if perms were granted to target, read in tx
	// (none when no platform holds it).
	PlanGrant(ctx context.Context, tx store.Tx, resource mesh.Resource, perms mesh.Permissions, target mesh.Principal) ([]mesh.PlatformPlan, error)
}

// SetPlanner sets the planner pending approvals are shown with (nil: no
// platforms). Call it before serving.
func (s *Service) SetPlanner(p Planner) { s.planner = p }

// plan fills a pending approval of request r with the planner's plans, if
// there is a planner.
func (s *Service) plan(ctx context.Context, tx store.Tx, ap *mesh.Approval, r *mesh.AccessRequest) error {
	if s.planner == nil || ap.Status != mesh.ApprovalPending {
		return nil
	}
	plans, err := s.planner.PlanGrant(ctx, tx, r.Resource(), r.Permissions, mesh.Principal(r.TargetAccount))
	ap.Plans = plans
	return err
}
