package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
)

// ApprovalsPage lists the approvals the user may decide (their account's
// for its approvers and admins, every account's for mesh admins), each
// with the personal data it concerns and a form to approve or deny it
// with a comment.
type ApprovalsPage struct {
	Page
	Approvals []*mesh.Approval
	Status    string
	Statuses  []string
	// Failed is the request whose decision failed, with its comment as typed.
	Failed  int64
	Comment string
	Errors  FieldErrors
	// Recorded is the decision found instead of the user's (a conflict).
	Recorded *mesh.Approval
	// Next is the next page's link ("" on the last page); First is set
	// when this is not the first page.
	Next, First string
	// Here links to this page, which its forms return to.
	Here string
}

// approvalsPageSize is how many approvals one page lists.
const approvalsPageSize = 50

// approvalsPath is the approvals list's path.
const approvalsPath = "/approvals"

var approvalStatuses = []string{mesh.ApprovalPending, mesh.ApprovalApproved, mesh.ApprovalDenied, mesh.ApprovalExpired, mesh.ApprovalCancelled, "all"}

// IsMine reports whether the user made the request (they may not decide it).
func (p ApprovalsPage) IsMine(r *mesh.AccessRequest) bool {
	return r != nil && p.Actor.AccountID == r.RequesterAccount && p.Actor.Username == r.RequesterUser
}

func (u *UI) approvalsPage(w http.ResponseWriter, r *http.Request) error {
	return u.showApprovals(w, r, r.URL.Query(), http.StatusOK, ApprovalsPage{})
}

// showApprovals lists the page of approvals q's "status" and "before"
// name: the page's own query, or that of the page a form returns to.
func (u *UI) showApprovals(w http.ResponseWriter, r *http.Request, q url.Values, status int, p ApprovalsPage) error {
	msg := p.Error
	p.Page = u.page(r, "Approvals", "approvals")
	p.Error = msg
	p.Status, p.Statuses = q.Get("status"), approvalStatuses
	f := sharing.ApprovalFilter{Status: p.Status, Limit: approvalsPageSize + 1}
	filter := map[string]string{"status": p.Status}
	var err error
	if f.BeforeID, err = beforeParam(q, "request id"); err != nil {
		return err
	}
	if f.BeforeID == 0 && p.Errors != nil {
		// the page that starts with the failed form, which shows why
		f.BeforeID = p.Failed + 1
	}
	p.Here = listLink(approvalsPath, filter)
	if f.BeforeID != 0 {
		p.First = p.Here
		p.Here = listLink(approvalsPath, map[string]string{"status": p.Status, "before": strconv.FormatInt(f.BeforeID, 10)})
	}
	list, err := u.Sharing.FindApprovals(r.Context(), f)
	if err != nil {
		return err
	}
	p.Approvals, p.Next = nextPage(list, approvalsPageSize, approvalsPath, filter, func(a *mesh.Approval) int64 { return a.RequestID })
	if p.Errors != nil && !slices.ContainsFunc(p.Approvals, func(a *mesh.Approval) bool {
		return a.RequestID == p.Failed && a.Status == mesh.ApprovalPending && !p.IsMine(a.Request)
	}) {
		// no decision form of that request shows the errors
		p.Error, p.Errors = p.Errors.elsewhere("Request #"+strconv.FormatInt(p.Failed, 10), "decision"), nil
	}
	return u.render(w, status, "approvals", p)
}

func (u *UI) approve(w http.ResponseWriter, r *http.Request) error { return u.decide(w, r, true) }
func (u *UI) deny(w http.ResponseWriter, r *http.Request) error    { return u.decide(w, r, false) }

// decide records an approver's decision. A decision that lost to another
// (or came after the approval ended) answers 409 with the decision that
// was recorded.
func (u *UI) decide(w http.ResponseWriter, r *http.Request, approve bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	comment := r.PostForm.Get("comment")
	back := keepFilter(u.returnQuery(r, approvalsPath), "status", approvalStatuses)
	_, err = u.Sharing.Decide(r.Context(), sharing.DecisionInput{RequestID: id, Approve: approve, Comment: comment, Channel: mesh.ChannelWeb})
	if err == nil {
		notice := "denied"
		if approve {
			notice = "approved"
		}
		return redirect(w, r, "/requests/"+strconv.FormatInt(id, 10), notice)
	}
	p := ApprovalsPage{Failed: id, Comment: comment}
	var me *mesh.Error
	if mesh.IsCode(err, mesh.ECONFLICT) && errors.As(err, &me) {
		p.Error = recordedDecision(me)
		if ap, ok := me.Details.(*mesh.Approval); ok {
			p.Recorded = ap
		}
		return refused(err, u.showApprovals(w, r, back, http.StatusConflict, p))
	}
	fe, msg, ferr := formFailure(err)
	if ferr != nil {
		return ferr
	}
	if fe == nil {
		fe = FieldErrors{"decision": msg}
	}
	p.Errors = fe
	return refused(err, u.showApprovals(w, r, back, statusOfForm(err), p))
}

// recordedDecision tells what a conflicting decision found.
func recordedDecision(e *mesh.Error) string {
	switch d := e.Details.(type) {
	case *mesh.Approval:
		// the request may have moved on since (revoked, expired, failed)
		now := ""
		if d.Request != nil {
			now = fmt.Sprintf(" The request is %s now.", d.Request.Status)
		}
		if dec := d.Decision; dec != nil {
			verb := "denied"
			if dec.Approved {
				verb = "approved"
			}
			s := fmt.Sprintf("Request %d was %s already by %s on %s", d.RequestID, verb, dec.By, formatTime(dec.At))
			if dec.Comment != "" {
				s += fmt.Sprintf(": %q", dec.Comment)
			}
			return s + "." + now
		}
		return fmt.Sprintf("The approval of request %d is %s already; nothing was changed.", d.RequestID, d.Status) + now
	case *mesh.AccessRequest:
		return fmt.Sprintf("Request %d is %s; nothing was changed.", d.ID, d.Status)
	}
	return e.Message + "; nothing was changed."
}
