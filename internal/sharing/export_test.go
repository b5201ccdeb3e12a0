package sharing

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

// ApprovalTask exposes the approval resource's function, so that tests can
// wrap it to see the task token the server otherwise keeps to itself.
func (s *Service) ApprovalTask() workflow.TxTaskFunc { return s.approvalTask }

// EndSharedTx ends a shared request in tx as RevokeRequest does, so that a
// test can hold the transaction open.
func (s *Service) EndSharedTx(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) error {
	return s.endShared(ctx, tx, r, mesh.RequestRevoked, s.system.Principal(), "revoked by a test")
}

// WarnExpiring runs the expiry's warnings alone, as ExpireOnce does after
// its sweep.
func (s *Service) WarnExpiring(ctx context.Context) error { return s.warnExpiring(ctx) }
