package server

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
)

// demoActor acts as a seeded demo user.
func (s *Server) demoActor(ctx context.Context, account, username string, roles ...string) context.Context {
	return mesh.NewContext(ctx, &mesh.Actor{AccountID: account, Username: username, Roles: roles, CentralAccountID: s.cfg.CentralAccountID})
}

// seedDemoRequests runs the data-sharing workflow for the demo consumer so
// that each outcome shows at once: marketing (nothing flagged) shared at
// once, sales.orders (flagged) waiting for the Sales approver, and
// sales.customers denied with a comment.
func (s *Server) seedDemoRequests(ctx context.Context) error {
	member := s.demoActor(ctx, demoConsumerID, "analytics-member", mesh.RoleMember)
	approver := s.demoActor(ctx, demoProducerID, "sales-approver", mesh.RoleApprover)
	requests := []sharing.RequestInput{
		{Database: "marketing", Justification: "campaign reach in the weekly dashboard"},
		{Database: "sales", Table: "orders", Justification: "revenue per region for the quarterly report", Duration: mesh.Duration(720 * time.Hour)},
		{Database: "sales", Table: "customers", Justification: "customer segments for a churn model"},
	}
	var made []*mesh.AccessRequest
	for _, in := range requests {
		r, _, err := s.Sharing.CreateRequest(member, in)
		if err != nil {
			return fmt.Errorf("demo request %s.%s: %w", in.Database, in.Table, err)
		}
		made = append(made, r)
	}
	_, err := s.Sharing.Decide(approver, sharing.DecisionInput{RequestID: made[2].ID, Approve: false,
		Comment: "customer data stays in Sales; ask for the aggregated segments table instead", Channel: mesh.ChannelWeb})
	if err != nil {
		return fmt.Errorf("demo denial: %w", err)
	}
	return nil
}
