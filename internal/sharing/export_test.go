package sharing

import "github.com/meshgate/meshgate/internal/workflow"

// ApprovalTask exposes the approval resource's function, so that tests can
// wrap it to see the task token the server otherwise keeps to itself.
func (s *Service) ApprovalTask() workflow.TxTaskFunc { return s.approvalTask }
