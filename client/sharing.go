package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// AccessRequest is a request for access to a data product.
type AccessRequest = mesh.AccessRequest

// Approval is a request waiting for (or given) the owning account's decision.
type Approval = mesh.Approval

// Notification is a message queued for an account's subscribers.
type Notification = mesh.Notification

// RequestInput asks for access to a database (Table empty or "*") or one table.
type RequestInput struct {
	Database      string   `json:"database"`
	Table         string   `json:"table,omitempty"`
	TargetAccount string   `json:"target_account,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
	Justification string   `json:"justification"`
	// Duration is a Go duration such as "720h"; empty for no end.
	Duration string `json:"duration,omitempty"`
	// IdempotencyKey is sent as the Idempotency-Key header; CreateRequest
	// makes a fresh one when it is empty. A caller that retries a create
	// whose answer it lost sets the key (NewIdempotencyKey) and sends the
	// same one again, and gets the request the first attempt made.
	IdempotencyKey string `json:"-"`
}

// NewIdempotencyKey returns a fresh Idempotency-Key: the time in
// milliseconds (12 hexadecimal digits) and 130 random bits. Keys that
// follow the time land at the end of the server's index of them instead
// of all over it, which saves the store a page write per request.
func NewIdempotencyKey() string {
	return newIdempotencyKey(time.Now())
}

func newIdempotencyKey(now time.Time) string {
	return fmt.Sprintf("%012x-%s", now.UnixMilli(), rand.Text())
}

// RequestView is a request with its approval, timeline and notifications.
type RequestView struct {
	*AccessRequest
	Approval      *Approval       `json:"approval,omitempty"`
	Timeline      []*HistoryEvent `json:"timeline"`
	Notifications []*Notification `json:"notifications"`
}

// UnmarshalJSON reads the request's fields beside the others.
func (v *RequestView) UnmarshalJSON(b []byte) error {
	var r AccessRequest
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	var rest struct {
		Approval      *Approval       `json:"approval,omitempty"`
		Timeline      []*HistoryEvent `json:"timeline"`
		Notifications []*Notification `json:"notifications"`
	}
	if err := json.Unmarshal(b, &rest); err != nil {
		return err
	}
	v.AccessRequest, v.Approval, v.Timeline, v.Notifications = &r, rest.Approval, rest.Timeline, rest.Notifications
	return nil
}

// RequestsFilter selects requests to list.
type RequestsFilter struct {
	Status string
	Mine   bool
	Before int64
	Limit  int
}

// CreateRequest asks for access. created is false when an open request for
// the same resource and account, or the request made earlier with the same
// in.IdempotencyKey, was returned instead.
func (c *Client) CreateRequest(ctx context.Context, in RequestInput) (r *AccessRequest, created bool, err error) {
	key := in.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	var out AccessRequest
	var status int
	err = c.doWithStatus(ctx, http.MethodPost, "/api/v1/requests", nil, http.Header{"Idempotency-Key": {key}}, in, &out, &status)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// Request returns a request with its timeline.
func (c *Client) Request(ctx context.Context, id int64) (*RequestView, error) {
	var v RequestView
	return &v, c.Do(ctx, http.MethodGet, "/api/v1/requests/"+strconv.FormatInt(id, 10), nil, nil, &v)
}

// Requests lists the requests the caller may see, newest first.
func (c *Client) Requests(ctx context.Context, f RequestsFilter) ([]*AccessRequest, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Mine {
		q.Set("mine", "true")
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Requests []*AccessRequest `json:"requests"`
	}
	return out.Requests, c.Do(ctx, http.MethodGet, "/api/v1/requests", q, nil, &out)
}

// CancelRequest cancels an open request.
func (c *Client) CancelRequest(ctx context.Context, id int64) (*AccessRequest, error) {
	var r AccessRequest
	return &r, c.Do(ctx, http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(id, 10)+"/cancel", nil, nil, &r)
}

// RevokeRequest ends a shared request's access.
func (c *Client) RevokeRequest(ctx context.Context, id int64) (*AccessRequest, error) {
	var r AccessRequest
	return &r, c.Do(ctx, http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(id, 10)+"/revoke", nil, nil, &r)
}

// ApprovalsFilter selects approvals to list: pending ones, or Status
// (APPROVED, DENIED, EXPIRED, CANCELLED, all); Before a request id pages.
type ApprovalsFilter struct {
	Status string
	Before int64
	Limit  int
}

// Approvals lists the approvals the caller may decide, newest first.
func (c *Client) Approvals(ctx context.Context, f ApprovalsFilter) ([]*Approval, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Approvals []*Approval `json:"approvals"`
	}
	return out.Approvals, c.Do(ctx, http.MethodGet, "/api/v1/approvals", q, nil, &out)
}

// Decide approves or denies request id, with an optional comment; channel
// says how the decision came (api, cli, web; empty for api).
func (c *Client) Decide(ctx context.Context, id int64, approve bool, comment, channel string) (*AccessRequest, error) {
	verb := "/deny"
	if approve {
		verb = "/approve"
	}
	var r AccessRequest
	body := map[string]string{"comment": comment, "channel": channel}
	return &r, c.Do(ctx, http.MethodPost, "/api/v1/approvals/"+strconv.FormatInt(id, 10)+verb, nil, body, &r)
}

// RollbackStateMachine makes an earlier version's definition current again, as a new version.
func (c *Client) RollbackStateMachine(ctx context.Context, name string, version int) (*StateMachine, error) {
	var sm StateMachine
	return &sm, c.Do(ctx, http.MethodPost, "/api/v1/state-machines/"+url.PathEscape(name)+"/rollback", nil, map[string]int{"version": version}, &sm)
}
