package sharing

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// MaxCommentLen bounds a decision's comment (characters).
const MaxCommentLen = 2000

// checkComment checks a decision's comment. Errors: EINVALID.
func checkComment(c string) error {
	if n := utf8.RuneCountInString(c); n > MaxCommentLen {
		return mesh.Invalid("comment", "has %d characters, more than the limit of %d", n, MaxCommentLen)
	}
	return mesh.CheckText("comment", c)
}

// mayDecide: approvers and admins of the owning account, and mesh admins.
func mayDecide(a *mesh.Actor, owner string) bool {
	return a.IsMeshAdmin() || (a.AccountID == owner && (a.HasRole(mesh.RoleAdmin) || a.HasRole(mesh.RoleApprover)))
}

// ApprovalFilter selects approvals to list.
type ApprovalFilter struct {
	// Status defaults to PENDING; "all" lists every status.
	Status   string
	BeforeID int64
	Limit    int
}

// FindApprovals lists the approvals the caller may decide, newest first,
// each with its request (whose pii_columns name the flagged columns) and,
// when pending, the statements each data platform would run on approval:
// their account's for approvers and admins, every account's for mesh
// admins. An account's are those of the requests it owns now, as
// FindRequest lets them see: a database given to another account takes
// its requests with it, and the decisions recorded on them, which the
// former owner's approvers then no longer list.
// Errors: EUNAUTHORIZED, EFORBIDDEN (neither), EINVALID (status).
func (s *Service) FindApprovals(ctx context.Context, f ApprovalFilter) ([]*mesh.Approval, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	sf := store.ApprovalFilter{Status: f.Status, BeforeID: f.BeforeID, Limit: min(max(f.Limit, 0), 1000)}
	switch f.Status {
	case "":
		sf.Status = mesh.ApprovalPending
	case "all":
		sf.Status = ""
	case mesh.ApprovalPending, mesh.ApprovalApproved, mesh.ApprovalDenied, mesh.ApprovalExpired, mesh.ApprovalCancelled:
	default:
		return nil, mesh.Invalid("status", "must be PENDING, APPROVED, DENIED, EXPIRED, CANCELLED or all")
	}
	if !a.IsMeshAdmin() {
		if !mayDecide(a, a.AccountID) {
			return nil, mesh.Errorf(mesh.EFORBIDDEN, "only approvers and admins of the owning account, and mesh admins, see approvals")
		}
		sf.AccountID = a.AccountID
	}
	out := []*mesh.Approval{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		list, err := tx.FindApprovals(ctx, sf)
		if err != nil {
			return err
		}
		for _, ap := range list {
			if ap.Request, err = tx.FindAccessRequest(ctx, ap.RequestID); err != nil {
				return err
			}
			if err := s.plan(ctx, tx, ap, ap.Request); err != nil {
				return err
			}
			out = append(out, ap)
		}
		return nil
	})
	return out, err
}

// DecisionInput is an approver's answer to a request waiting for approval.
type DecisionInput struct {
	// RequestID names the request (and so its approval).
	RequestID int64
	Approve   bool
	Comment   string
	// Channel is how the decision came (api, cli, web).
	Channel string
}

// Decide approves or denies a request waiting for approval, in one
// transaction with the execution's resumption: an approval shares at once
// (the request is SHARED when Decide returns), a denial ends the execution
// in AccessDenied with the comment as its cause (DENIED). Nobody decides
// a request they made. Of two concurrent decisions exactly one wins; the
// other gets ECONFLICT carrying the recorded approval.
// Errors: EUNAUTHORIZED, EINVALID (comment), ENOTFOUND, EFORBIDDEN, ECONFLICT.
func (s *Service) Decide(ctx context.Context, in DecisionInput) (*mesh.AccessRequest, error) {
	a, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkComment(in.Comment); err != nil {
		return nil, err
	}
	if in.Channel == "" {
		in.Channel = mesh.ChannelAPI
	}
	var out *mesh.AccessRequest
	// decisions share their commits (see decisionQueue)
	err = s.decisions.submit(ctx, in.RequestID, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.FindAccessRequest(ctx, in.RequestID)
		if err != nil {
			return err
		}
		r, ap, err := lockForDecision(ctx, tx, r)
		if err != nil {
			return err
		}
		owner := r.OwnerAccount
		if ap != nil {
			owner = ap.AccountID
		}
		if !mayDecide(a, owner) {
			return mesh.Errorf(mesh.EFORBIDDEN, "only approvers and admins of account %s, and mesh admins, decide request %d", owner, r.ID)
		}
		if ap == nil {
			// the conflict carries the request: only for those who may
			// decide it, who see it anyway
			return store.RequestConflict(r)
		}
		if madeBy(a, r) {
			return mesh.Errorf(mesh.EFORBIDDEN, "nobody decides a request they made")
		}
		out, err = s.recordDecision(ctx, tx, r, ap, &mesh.RequestDecision{By: a.Principal(), Comment: in.Comment, Channel: in.Channel, Approved: in.Approve})
		return err
	})
	return out, err
}

// lockForDecision locks the execution of request r, first, as every
// transaction does, and reads the request and its approval again under
// that lock, where no concurrent decision, cancellation or expiry changes
// them. The approval is nil when the request never waited for one.
func lockForDecision(ctx context.Context, tx store.Tx, r *mesh.AccessRequest) (*mesh.AccessRequest, *mesh.Approval, error) {
	if _, err := tx.LockExecution(ctx, r.ExecutionID); err != nil {
		return nil, nil, err
	}
	r, err := tx.FindAccessRequest(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	ap, err := tx.FindApproval(ctx, r.ID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return r, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return r, ap, nil
}

// decidedConflict is the ECONFLICT of a decision on request r, whose
// approval ap is no longer pending: it names the approval's status (and
// who decided it) and the request's current one, which has moved on since
// (an approval APPROVED of a request REVOKED, one CANCELLED with a request
// FAILED), and carries the approval with the request.
func decidedConflict(ap *mesh.Approval, r *mesh.AccessRequest) error {
	err := store.ApprovalConflict(ap).(*mesh.Error)
	cur := *ap
	cur.Request = r
	err.Message += "; the request is " + r.Status
	err.Details = &cur
	return err
}

// recordDecision records d on request r's approval ap and resumes its
// execution, in tx: an approval runs ApprovedPIIShareCatalogItem, a denial
// the Catch into AccessDenied. The caller has checked who decides, and read
// r and ap under the lock of r's execution (lockForDecision), so what a
// concurrent decision changed is there: a decided approval is ECONFLICT
// with the recorded one. It sets d.At and returns the request as it is
// after the decision.
func (s *Service) recordDecision(ctx context.Context, tx store.Tx, r *mesh.AccessRequest, ap *mesh.Approval, d *mesh.RequestDecision) (*mesh.AccessRequest, error) {
	if ap.Status != mesh.ApprovalPending {
		return nil, decidedConflict(ap, r)
	}
	now := s.clock.Now()
	if !ap.ExpiresAt.IsZero() && !now.Before(ap.ExpiresAt) {
		return nil, &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("the approval of request %d expired at %s", r.ID, ap.ExpiresAt.Format("2006-01-02T15:04:05Z")), Details: ap}
	}
	if r.Status != mesh.RequestPendingApproval {
		return nil, store.RequestConflict(r)
	}
	d.At = now
	ap.Decision, ap.Status = d, mesh.ApprovalDenied
	action := "sharing.approval.deny"
	if d.Approved {
		ap.Status, action = mesh.ApprovalApproved, "sharing.approval.approve"
	}
	if err := tx.UpdateApproval(ctx, ap, mesh.ApprovalPending); err != nil {
		return nil, err
	}
	r.Decision, r.UpdatedAt = d, now
	if err := s.saveRequest(ctx, tx, r, mesh.RequestPendingApproval); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("%s via %s: %s", what(r), d.Channel, d.Comment)
	if d.Channel == ChannelEmailLink || d.Channel == ChannelWebhookLink {
		detail = fmt.Sprintf("%s via %s by %s: %s", what(r), d.Channel, d.By, d.Comment)
	}
	if err := store.Audit(ctx, tx, now, action, requestResource(r), detail); err != nil {
		return nil, err
	}
	var err error
	if d.Approved {
		err = s.engine.SucceedTaskTx(ctx, tx, ap.TokenHash, map[string]any{"approved": true, "by": d.By, "comment": d.Comment})
	} else {
		cause := d.Comment
		if cause == "" {
			cause = "denied by " + d.By
		}
		err = s.engine.FailTaskTx(ctx, tx, ap.TokenHash, ErrAccessDenied, cause)
	}
	if err != nil {
		return nil, err
	}
	return tx.FindAccessRequest(ctx, r.ID)
}
