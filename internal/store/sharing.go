package store

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// RequestFilter selects access requests, newest first. Zero fields match
// everything. The Visible fields are alternatives: a request matches when
// any one of those set matches (a requester sees their own, an owner's
// approvers the requests for their products); the other fields must all match.
type RequestFilter struct {
	// VisibleRequester matches requests made by this user ("account/user").
	VisibleRequester string
	// VisibleOwner matches requests for databases the account owns.
	VisibleOwner string
	// VisibleAccount matches requests made by or for the account.
	VisibleAccount string

	// Requester matches requests made by this user ("account/user").
	Requester string
	Status    string
	// Open matches requests still open (SUBMITTED or PENDING_APPROVAL).
	Open bool
	// Database matches requests for this database; with Table, only those
	// for this table ("*": for the whole database).
	Database, Table string
	// Databases matches requests for any of these databases (none: no
	// matter which).
	Databases []string
	// GrantID matches requests that granted through this grant.
	GrantID int64
	// ExpiresBefore matches requests whose access expires at or before it.
	ExpiresBefore time.Time
	// BeforeID continues a listing: only requests with a smaller id.
	BeforeID int64
	// Limit bounds the result (default 100).
	Limit int
}

// ApprovalFilter selects approvals, newest first. Zero fields match everything.
type ApprovalFilter struct {
	// AccountID keeps the approvals of that account whose requests it
	// still owns: a database given to another account (SetRequestsOwner)
	// takes its requests' approvals, decided ones too, out of the former
	// owner's.
	AccountID string
	Status    string
	BeforeID  int64
	Limit     int
}

// NotificationFilter selects notifications, oldest first. Zero fields match everything.
type NotificationFilter struct {
	RequestID int64
	AccountID string
	// Unsent keeps the notifications not yet delivered.
	Unsent bool
	Limit  int
}

// SharingTx is the data-sharing part of a transaction: access requests,
// their approvals, and the notifications waiting for delivery.
type SharingTx interface {
	// InsertAccessRequest stores r and sets its ID, unless an open request
	// (SUBMITTED or PENDING_APPROVAL) exists for the same target account,
	// database and table, or the same requester used r.IdempotencyKey (when
	// set) already: then it stores nothing and returns false. Unique indexes
	// hold this across concurrent transactions and replicas. The target
	// account must exist: ENOTFOUND (account) when it does not, and nothing
	// stored; the account is read (FindAccountByID answers from the memo).
	InsertAccessRequest(ctx context.Context, r *mesh.AccessRequest) (bool, error)
	// FindAccessRequest returns a request; ENOTFOUND.
	FindAccessRequest(ctx context.Context, id int64) (*mesh.AccessRequest, error)
	// FindOpenAccessRequest returns the open request for a target account,
	// database and table; ENOTFOUND.
	FindOpenAccessRequest(ctx context.Context, target, database, table string) (*mesh.AccessRequest, error)
	// FindAccessRequestByKey returns the request a requester (account and
	// user) made with an idempotency key; ENOTFOUND.
	FindAccessRequestByKey(ctx context.Context, account, user, key string) (*mesh.AccessRequest, error)
	// FindAccessRequestByExecution returns the request an execution runs; ENOTFOUND.
	FindAccessRequestByExecution(ctx context.Context, executionID string) (*mesh.AccessRequest, error)
	// FindAccessRequests returns the requests matching f, newest first.
	FindAccessRequests(ctx context.Context, f RequestFilter) ([]*mesh.AccessRequest, error)
	// UpdateAccessRequest saves r's status, error, PII columns, decision,
	// ender, grant, share, expiry and update time when its stored status is
	// from; ENOTFOUND when it is gone, ECONFLICT (with the stored request in
	// Details) when its status is no longer from.
	UpdateAccessRequest(ctx context.Context, r *mesh.AccessRequest, from string) error
	// SetRequestsOwner makes owner the owning account of the requests for
	// databases owned by from, as their owner changes from one to the
	// other, in one statement however many databases change hands.
	SetRequestsOwner(ctx context.Context, databases []string, from, owner string) error

	// UpsertApproval stores a request's approval, replacing an earlier one of the same request.
	UpsertApproval(ctx context.Context, a *mesh.Approval) error
	// FindApproval returns a request's approval; ENOTFOUND.
	FindApproval(ctx context.Context, requestID int64) (*mesh.Approval, error)
	// FindApprovals returns the approvals matching f, newest first.
	FindApprovals(ctx context.Context, f ApprovalFilter) ([]*mesh.Approval, error)
	// UpdateApproval saves a's status and decision when its stored status is
	// from; ENOTFOUND when there is none, ECONFLICT when the status is no
	// longer from (another decision came first).
	UpdateApproval(ctx context.Context, a *mesh.Approval, from string) error

	// InsertNotification records n. It does not set n.ID: a store may send
	// the insert with the transaction's next statement, and reads show the
	// ID.
	InsertNotification(ctx context.Context, n *mesh.Notification) error
	// FindNotifications returns the notifications matching f, oldest first.
	FindNotifications(ctx context.Context, f NotificationFilter) ([]*mesh.Notification, error)
}

// RequestConflict is the ECONFLICT a write answers when a request is no
// longer in the status it expected; Details carries the request as it is.
func RequestConflict(cur *mesh.AccessRequest) error {
	return &mesh.Error{Code: mesh.ECONFLICT, Message: fmt.Sprintf("access request %d is %s", cur.ID, cur.Status), Details: cur}
}

// ApprovalConflict is the ECONFLICT a decision answers when the approval
// was decided (or ended) already; Details carries it as it is.
func ApprovalConflict(cur *mesh.Approval) error {
	msg := fmt.Sprintf("the approval of request %d is %s", cur.RequestID, cur.Status)
	if cur.Decision != nil {
		msg += " by " + cur.Decision.By
	}
	return &mesh.Error{Code: mesh.ECONFLICT, Message: msg, Details: cur}
}
