package sharing

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

// Error names the tasks fail with, for Retry and Catch.
const (
	ErrInvalidInput    = "Sharing.InvalidInput"
	ErrNotFound        = "Sharing.NotFound"
	ErrNoDataOwner     = "Sharing.NoDataOwner"
	ErrRequestNotOpen  = "Sharing.RequestNotOpen"
	ErrGrantFailed     = "Sharing.GrantFailed"
	ErrAccessDenied    = "AccessDenied"
	ErrApprovalExpired = "ApprovalExpired"
)

// Error names of executions the service stops when what an open request
// asks for goes from under it (follow.go).
const (
	ErrProductDeleted    = "Sharing.ProductDeleted"
	ErrOwnerChanged      = "Sharing.OwnerChanged"
	ErrAccountOffboarded = "Sharing.AccountOffboarded"
)

// Error names of requests whose executions ended naming no error (stopped
// by hand without one, a replaced machine's Fail state without Error).
const (
	ErrExecutionFailed   = "Sharing.ExecutionFailed"
	ErrExecutionAborted  = "Sharing.ExecutionAborted"
	ErrExecutionTimedOut = "Sharing.ExecutionTimedOut"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// source reads {"source": {"database": ..., "table": ...}} of a task's input.
func source(in map[string]any) (database, table string, err error) {
	src, _ := in["source"].(map[string]any)
	database, _ = src["database"].(string)
	table, _ = src["table"].(string)
	if database == "" {
		return "", "", workflow.Errorf(ErrInvalidInput, "source.database is required")
	}
	if table == "" {
		table = mesh.AllTables
	}
	return database, table, nil
}

func requestID(in map[string]any) (int64, error) {
	id, ok := in["request_id"].(int64)
	if !ok || id <= 0 {
		return 0, workflow.Errorf(ErrInvalidInput, "request_id must be a positive integer")
	}
	return id, nil
}

func taskInput(input any) map[string]any {
	m, _ := input.(map[string]any)
	return m
}

// catalogDetails is GetCatalogTableDetails: the product's data_owner and
// whether anything in it is flagged as personal data. For one table that
// is the table's pii_flag, its columns' and its database's; for the whole
// database ("*"), the database's and every table's and column's (the
// reference design looked only at the database's flag). It names what is
// flagged in pii_columns: "table.column", "table.*" for a table's own flag,
// "*" for the database's.
func (s *Service) catalogDetails(ctx context.Context, tx store.Tx, input any) (any, error) {
	in := taskInput(input)
	database, table, err := source(in)
	if err != nil {
		return nil, err
	}
	d, err := tx.FindDatabase(ctx, database)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, workflow.Errorf(ErrNotFound, "database %s does not exist", database)
	}
	if err != nil {
		return nil, err
	}
	owner := d.DataOwner()
	if owner == "" {
		return nil, workflow.Errorf(ErrNoDataOwner, "database %s has no data_owner parameter", database)
	}
	var flagged []string
	if d.PII() {
		flagged = append(flagged, mesh.AllTables)
	}
	var tables []*mesh.Table
	if table == mesh.AllTables {
		has, err := tx.TablesHavePII(ctx, database)
		if err != nil {
			return nil, err
		}
		if has {
			yes := true
			if tables, err = tx.FindTables(ctx, store.TableFilter{Database: database, PII: &yes, Limit: 1000}); err != nil {
				return nil, err
			}
		}
	} else {
		t, err := tx.FindTable(ctx, database, table)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, workflow.Errorf(ErrNotFound, "table %s.%s does not exist", database, table)
		}
		if err != nil {
			return nil, err
		}
		tables = []*mesh.Table{t}
	}
	for _, t := range tables {
		if t.PII() {
			flagged = append(flagged, t.Name+".*")
		}
		for _, c := range t.PIIColumns() {
			flagged = append(flagged, t.Name+"."+c)
		}
	}
	list := make([]any, len(flagged))
	for i, f := range flagged {
		list[i] = f
	}
	return map[string]any{"data_owner": owner, "has_pii": len(flagged) > 0, "pii_columns": list}, nil
}

// shareTask is NoPIIShareCatalogItem and ApprovedPIIShareCatalogItem: it
// grants the requested permissions on the table (or all tables, now and
// later) to the target account with grant option, which in meshgate
// reaches only that account's own users, and so shares the product through
// the access service: at once within the organization, else by invitation.
// The request becomes SHARED in the same transaction.
func (s *Service) shareTask(ctx context.Context, tx store.Tx, input any) (any, error) {
	in := taskInput(input)
	id, err := requestID(in)
	if err != nil {
		return nil, err
	}
	r, err := tx.FindAccessRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if !r.Open() {
		return nil, workflow.Errorf(ErrRequestNotOpen, "request %d is %s", r.ID, r.Status)
	}
	g, err := s.access.GrantTx(s.systemCtx(ctx), tx, access.GrantInput{Principal: mesh.Principal(r.TargetAccount),
		Resource: r.Resource(), Permissions: r.Permissions, Grantable: r.Permissions, OnBehalf: mesh.SourceSharing})
	if err != nil {
		if code := mesh.ErrorCode(err); code != mesh.EINTERNAL {
			return nil, workflow.Errorf(ErrGrantFailed, "%s", mesh.ErrorMessage(err))
		}
		return nil, err
	}
	now := s.clock.Now()
	from := r.Status
	r.Status, r.GrantID, r.ShareID, r.UpdatedAt = mesh.RequestShared, g.ID, g.ShareID, now
	if r.Duration > 0 {
		r.ExpiresAt = now.Add(time.Duration(r.Duration))
	}
	if err := s.saveRequest(ctx, tx, r, from); err != nil {
		return nil, err
	}
	s.starting.observe(r)
	detail := fmt.Sprintf("%s %s to account %s (grant %d, share %d)", what(r), r.Permissions, r.TargetAccount, g.ID, g.ShareID)
	if !r.ExpiresAt.IsZero() {
		detail += ", until " + r.ExpiresAt.Format(time.RFC3339)
	}
	if err := store.Audit(s.systemCtx(ctx), tx, now, "sharing.request.shared", requestResource(r), detail); err != nil {
		return nil, err
	}
	shareStatus := mesh.ShareActive
	if g.Status == mesh.GrantPending {
		shareStatus = mesh.SharePending
	}
	body := fmt.Sprintf("Request %d for %s is shared with account %s.", r.ID, what(r), r.TargetAccount)
	if shareStatus == mesh.SharePending {
		body += " The account's admins accept the invitation, then grant their users through the resource link."
	}
	if err := s.notify(ctx, tx, r, r.RequesterAccount, requester(r), "request.shared", "Access shared: "+what(r), body); err != nil {
		return nil, err
	}
	return map[string]any{"grant_id": g.ID, "share_id": g.ShareID, "share_status": shareStatus}, nil
}

// approvalTask is SendAndWaitPIIColumnApproval: it records an approval for
// the owning account, puts its notification in the outbox and leaves the
// task waiting. The task token stays here (only its hash is kept): the
// approval API answers it.
func (s *Service) approvalTask(ctx context.Context, tx store.Tx, input any) (any, error) {
	in := taskInput(input)
	id, err := requestID(in)
	if err != nil {
		return nil, err
	}
	token, _ := in["token"].(string)
	if token == "" {
		return nil, workflow.Errorf(ErrInvalidInput, "token is required (Parameters: \"token.$\": \"$$.Task.Token\")")
	}
	r, err := tx.FindAccessRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if !r.Open() {
		return nil, workflow.Errorf(ErrRequestNotOpen, "request %d is %s", r.ID, r.Status)
	}
	owner, _ := in["data_owner"].(string)
	if owner == "" {
		owner = r.OwnerAccount
	}
	var cols []string
	if list, ok := in["pii_columns"].([]any); ok {
		for _, c := range list {
			if c, ok := c.(string); ok {
				cols = append(cols, c)
			}
		}
	}
	now := s.clock.Now()
	a := &mesh.Approval{RequestID: r.ID, AccountID: owner, Status: mesh.ApprovalPending, PIIColumns: cols,
		TokenHash: workflow.HashToken(token), CreatedAt: now}
	if secs, ok := in["timeout_seconds"].(int64); ok && secs > 0 {
		// whole seconds, as both stores keep them: the approval's messages
		// show this value without reading it back
		a.ExpiresAt = now.Add(time.Duration(secs) * time.Second).Truncate(time.Second)
	}
	if err := tx.UpsertApproval(ctx, a); err != nil {
		return nil, err
	}
	from := r.Status
	r.Status, r.PIIColumns, r.UpdatedAt = mesh.RequestPendingApproval, cols, now
	if err := s.saveRequest(ctx, tx, r, from); err != nil {
		return nil, err
	}
	s.starting.observe(r)
	if err := store.Audit(s.systemCtx(ctx), tx, now, "sharing.approval.request", requestResource(r),
		fmt.Sprintf("%s for account %s waits for account %s (personal data: %v)", what(r), r.TargetAccount, owner, cols)); err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s asks for %s on %s for account %s: %q. Flagged as personal data: %v. Decide with: meshgate approval approve|deny --id %d",
		requester(r), r.Permissions, what(r), r.TargetAccount, r.Justification, cols, r.ID)
	return nil, s.notifyWith(ctx, tx, r, a, owner, "role:"+mesh.RoleApprover, "approval.requested", "Approval needed: "+what(r), body)
}

// executionEnded keeps a request's status in step with its execution's end,
// in the same transaction: a denial (AccessDenied) is DENIED, a lapsed
// approval (ApprovalExpired) EXPIRED, any other failure FAILED with the
// error, and an execution that succeeded without sharing FAILED too, so
// that no request stays open after its execution.
func (s *Service) executionEnded(ctx context.Context, tx store.Tx, x *mesh.Execution) error {
	if x.StateMachine != s.cfg.StateMachine {
		return nil // requests run only on the configured machine: other executions need no lookup
	}
	r, err := tx.FindAccessRequestByExecution(ctx, x.ID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.Open() {
		return nil // SHARED by its task, or CANCELLED by the requester
	}
	now := s.clock.Now()
	from := r.Status
	event := "request.failed"
	approval := mesh.ApprovalCancelled
	switch {
	case x.Status == mesh.ExecutionSucceeded:
		r.Status, r.Error, r.Cause = mesh.RequestFailed, "Sharing.NotShared", "the workflow ended without sharing"
	case x.Error == ErrAccessDenied:
		r.Status, r.Error, r.Cause, event, approval = mesh.RequestDenied, x.Error, x.Cause, "request.denied", mesh.ApprovalDenied
	case x.Error == ErrApprovalExpired:
		r.Status, r.Error, r.Cause, event, approval = mesh.RequestExpired, x.Error, x.Cause, "request.expired", mesh.ApprovalExpired
	default:
		r.Status, r.Error, r.Cause = mesh.RequestFailed, x.Error, x.Cause
		if r.Error == "" || r.Cause == "" {
			// a failed request says why, whatever the execution named
			name, how := endedHow(x)
			r.Error = cmp.Or(r.Error, name)
			r.Cause = cmp.Or(r.Cause, fmt.Sprintf("execution %s %s without saying why", x.ID, how))
		}
	}
	r.UpdatedAt = now
	if err := s.saveRequest(ctx, tx, r, from); err != nil {
		return err
	}
	s.starting.observe(r)
	if a, err := tx.FindApproval(ctx, r.ID); err == nil && a.Status == mesh.ApprovalPending {
		a.Status = approval
		if err := tx.UpdateApproval(ctx, a, mesh.ApprovalPending); err != nil {
			return err
		}
	} else if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
		return err
	}
	if err := store.Audit(s.systemCtx(ctx), tx, now, "sharing.request."+strings.ToLower(r.Status), requestResource(r), r.Error+": "+r.Cause); err != nil {
		return err
	}
	return s.notify(ctx, tx, r, r.RequesterAccount, requester(r), event, fmt.Sprintf("Request %d is %s", r.ID, r.Status),
		fmt.Sprintf("Request %d for %s: %s (%s).", r.ID, what(r), r.Status, r.Cause))
}

// endedHow names an execution's end that named no error, and says it.
func endedHow(x *mesh.Execution) (name, how string) {
	switch x.Status {
	case mesh.ExecutionAborted:
		return ErrExecutionAborted, "was stopped"
	case mesh.ExecutionTimedOut:
		return ErrExecutionTimedOut, "timed out"
	}
	return ErrExecutionFailed, "failed"
}
