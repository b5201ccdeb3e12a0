package mesh

import (
	"encoding/json"
	"time"
)

// Access request statuses. A request is SUBMITTED only while its execution
// takes its first steps; it is open while SUBMITTED or PENDING_APPROVAL, and
// every other status is final except SHARED, which ends as EXPIRED or REVOKED.
const (
	RequestSubmitted       = "SUBMITTED"
	RequestPendingApproval = "PENDING_APPROVAL"
	RequestShared          = "SHARED"
	RequestDenied          = "DENIED"
	RequestExpired         = "EXPIRED"
	RequestCancelled       = "CANCELLED"
	RequestFailed          = "FAILED"
	RequestRevoked         = "REVOKED"
)

// RequestStatuses lists the statuses in their usual order.
var RequestStatuses = []string{RequestSubmitted, RequestPendingApproval, RequestShared, RequestDenied,
	RequestExpired, RequestCancelled, RequestFailed, RequestRevoked}

// ValidRequestStatus reports whether s names a request status.
func ValidRequestStatus(s string) bool {
	for _, x := range RequestStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// MaxJustificationLen bounds a request's justification (characters).
const MaxJustificationLen = 2000

// Decision channels: how a decision reached meshgate.
const (
	ChannelAPI = "api"
	ChannelCLI = "cli"
	ChannelWeb = "web"
)

// RequestDecision records who decided an approval (or cancelled, revoked, expired a
// request), when, with what comment and through which channel.
type RequestDecision struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
	Channel string    `json:"channel,omitempty"`
	// Approved is true for an approval, false for a denial.
	Approved bool `json:"approved"`
}

// AccessRequest is a consumer's request for access to a data product: a
// database (Table "*") or one table of it, for a target account.
type AccessRequest struct {
	ID int64 `json:"id"`
	// RequesterAccount and RequesterUser name who asked.
	RequesterAccount string `json:"requester_account"`
	RequesterUser    string `json:"requester_user"`
	// TargetAccount receives the grant.
	TargetAccount string `json:"target_account"`
	Database      string `json:"database"`
	// Table is one table, or AllTables for the whole database.
	Table string `json:"table"`
	// OwnerAccount is the database's data_owner when the request was made.
	OwnerAccount  string      `json:"owner_account"`
	Permissions   Permissions `json:"permissions"`
	Justification string      `json:"justification"`
	// Duration is how long the access lasts once shared (0: until revoked).
	Duration Duration `json:"duration,omitempty"`
	// ExpiresAt is set when a request with a duration is shared.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Status    string    `json:"status"`
	// Error and Cause say why a request is FAILED (or DENIED, EXPIRED).
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// PIIColumns names the flagged columns ("table.column") the catalog lookup found.
	PIIColumns []string `json:"pii_columns,omitempty"`
	// Decision is the approver's, once decided.
	Decision *RequestDecision `json:"decision,omitempty"`
	// EndedBy names who cancelled or revoked the request (or "system" for an expiry).
	EndedBy string `json:"ended_by,omitempty"`
	// GrantID and ShareID are what sharing created (0 before).
	// IdempotencyKey is the key the requester sent with the create, if any:
	// a create with the same key returns this request.
	IdempotencyKey      string    `json:"idempotency_key,omitempty"`
	GrantID             int64     `json:"grant_id,omitempty"`
	ShareID             int64     `json:"share_id,omitempty"`
	ExecutionID         string    `json:"execution_id"`
	StateMachine        string    `json:"state_machine"`
	StateMachineVersion int       `json:"state_machine_version"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// Open reports whether the request still waits for its outcome.
func (r *AccessRequest) Open() bool {
	return r.Status == RequestSubmitted || r.Status == RequestPendingApproval
}

// Resource is what the request asks for, as a grant names it.
func (r *AccessRequest) Resource() Resource {
	return Resource{Database: r.Database, Table: r.Table}
}

// Approval statuses.
const (
	ApprovalPending   = "PENDING"
	ApprovalApproved  = "APPROVED"
	ApprovalDenied    = "DENIED"
	ApprovalExpired   = "EXPIRED"
	ApprovalCancelled = "CANCELLED"
)

// Approval is a request waiting for (or given) the owning account's decision.
// Its task token stays in the server: only its hash is kept, and only the
// approval API answers it.
type Approval struct {
	RequestID int64 `json:"request_id"`
	// AccountID is the owning account, whose approvers and admins decide.
	AccountID  string           `json:"account_id"`
	Status     string           `json:"status"`
	PIIColumns []string         `json:"pii_columns,omitempty"`
	Decision   *RequestDecision `json:"decision,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	// ExpiresAt is when an undecided approval lapses.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// TokenHash is the SHA-256 of the waiting task's token.
	TokenHash string `json:"-"`
	// Request is the request, filled in listings.
	Request *AccessRequest `json:"request,omitempty"`
	// Plans previews, in listings of pending approvals, what each data
	// platform holding the resource would run if the request is approved
	// (none: no registered platform holds it).
	Plans []PlatformPlan `json:"plans,omitempty"`
}

// PlatformPlan is what one data platform would run for a proposed grant.
type PlatformPlan struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	// Role is the platform role the grant's principal maps to ("" for none).
	Role       string   `json:"role,omitempty"`
	Statements []string `json:"statements"`
	// Note says why the platform runs nothing, when it runs nothing, and
	// what the preview could not learn from the platform.
	Note string `json:"note,omitempty"`
}

// Notification is a message waiting in the notification outbox for delivery
// to an account's subscribers (approvers, requesters).
type Notification struct {
	ID int64 `json:"id"`
	// AccountID is the account whose subscribers receive it.
	AccountID string `json:"account_id"`
	// Recipient is a principal ("account/user"), or a role in AccountID ("role:approver").
	Recipient string    `json:"recipient"`
	Event     string    `json:"event"`
	RequestID int64     `json:"request_id"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	// SentAt is set once delivered.
	SentAt time.Time `json:"sent_at,omitzero"`
}

// Duration is a time.Duration written in JSON as Go writes durations ("720h0m0s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a string such as "720h" or "90m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return ValueError[Duration](`a duration is a string such as "720h"`)
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return ValueError[Duration](err.Error())
	}
	*d = Duration(v)
	return nil
}
