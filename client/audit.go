package client

import (
	"context"
	"net/http"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// AuditFilter selects audit entries; zero fields match everything. Action
// and Resource may end in * to match a prefix.
type AuditFilter struct {
	Principal, Account, Action, Resource, Result string
	Since, Until                                 time.Time
}

// AuditList is a page of audit entries, newest first.
type AuditList struct {
	Entries   []*mesh.AuditEntry `json:"entries"`
	NextToken string             `json:"next_token,omitempty"`
}

// ListAudit queries the audit log (mesh admins).
func (c *Client) ListAudit(ctx context.Context, f AuditFilter, o ListOptions) (*AuditList, error) {
	q := o.values()
	for k, v := range map[string]string{"principal": f.Principal, "account": f.Account, "action": f.Action, "resource": f.Resource, "result": f.Result} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	var out AuditList
	if err := c.Do(ctx, http.MethodGet, "/api/v1/audit", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
