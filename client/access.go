package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Resource names a catalog resource: a database (Table empty), all its tables
// (Table "*"), a table, or some of its columns (Columns or ExcludedColumns).
type Resource = mesh.Resource

// GrantInput names a grant or a revocation.
type GrantInput struct {
	Principal   string   `json:"principal"`
	Resource    Resource `json:"resource"`
	Permissions []string `json:"permissions"`
	Grantable   []string `json:"grantable,omitempty"`
}

// Grant is a principal's permissions on a resource.
type Grant struct {
	ID          int64     `json:"id"`
	Principal   string    `json:"principal"`
	Resource    Resource  `json:"resource"`
	Permissions []string  `json:"permissions"`
	Grantable   []string  `json:"grantable"`
	Status      string    `json:"status"`
	ShareID     int64     `json:"share_id,omitempty"`
	Source      string    `json:"source,omitempty"`
	GrantedBy   string    `json:"granted_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Invitation asks an account's admins to accept a share.
type Invitation = mesh.Invitation

// ResourceLink is a pointer in an account's catalog view at a shared resource.
type ResourceLink = mesh.ResourceLink

// InvitationDecision is an accepted or rejected invitation and its link.
type InvitationDecision struct {
	Invitation *Invitation   `json:"invitation"`
	Link       *ResourceLink `json:"link,omitempty"`
}

// LinkedTable is a table seen through a resource link.
type LinkedTable struct {
	Database string   `json:"database"`
	Name     string   `json:"name"`
	Columns  []string `json:"columns"`
}

// AuthorizeRequest asks whether Principal (default: the caller) may do Action on Resource.
type AuthorizeRequest struct {
	Principal string   `json:"principal,omitempty"`
	Action    string   `json:"action"`
	Resource  Resource `json:"resource"`
}

// Decision answers an AuthorizeRequest, naming the grants that allowed it.
type Decision = mesh.Decision

// GrantsFilter selects grants to list; zero fields match everything.
type GrantsFilter struct {
	Principal, Account, Database, Table string
	Limit                               int
	PageToken                           string
}

// Grant grants permissions; granting again merges into the one grant.
func (c *Client) Grant(ctx context.Context, in GrantInput) (*Grant, error) {
	var g Grant
	return &g, c.Do(ctx, http.MethodPost, "/api/v1/grants", nil, in, &g)
}

// Revoke removes exactly the named permissions (or grant options) and
// returns what is left of the grant (nil when nothing is).
func (c *Client) Revoke(ctx context.Context, in GrantInput) (*Grant, error) {
	var out struct {
		Grant *Grant `json:"grant"`
	}
	return out.Grant, c.Do(ctx, http.MethodPost, "/api/v1/grants/revoke", nil, in, &out)
}

// Grants lists grants and returns the next page's token ("" at the end).
func (c *Client) Grants(ctx context.Context, f GrantsFilter) ([]Grant, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"principal": f.Principal, "account": f.Account, "database": f.Database, "table": f.Table, "page_token": f.PageToken} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Grants []Grant `json:"grants"`
		Next   string  `json:"next_page_token"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/v1/grants", q, nil, &out)
	return out.Grants, out.Next, err
}

// InvitationsFilter selects invitations to list; zero fields match everything.
type InvitationsFilter struct {
	Account   string // "" for the caller's account (every account's for a mesh admin)
	Status    string
	Limit     int
	PageToken string
}

// InvitationPage returns one page of invitations, newest first, and the token
// of the next page ("" on the last).
func (c *Client) InvitationPage(ctx context.Context, f InvitationsFilter) ([]Invitation, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"account": f.Account, "status": f.Status, "page_token": f.PageToken} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Invitations []Invitation `json:"invitations"`
		Next        string       `json:"next_page_token"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/v1/invitations", q, nil, &out)
	return out.Invitations, out.Next, err
}

// Invitations lists an account's invitations ("" for the caller's),
// optionally by status, following every page.
func (c *Client) Invitations(ctx context.Context, account, status string) ([]Invitation, error) {
	f := InvitationsFilter{Account: account, Status: status, Limit: 1000}
	var all []Invitation
	for {
		invs, next, err := c.InvitationPage(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, invs...)
		if next == "" {
			return all, nil
		}
		f.PageToken = next
	}
}

// AcceptInvitation accepts an invitation; linkName may be empty for the default.
func (c *Client) AcceptInvitation(ctx context.Context, id int64, linkName string) (*InvitationDecision, error) {
	var out InvitationDecision
	body := map[string]string{}
	if linkName != "" {
		body["link_name"] = linkName
	}
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/invitations/"+strconv.FormatInt(id, 10)+"/accept", nil, body, &out)
}

// RejectInvitation rejects an invitation.
func (c *Client) RejectInvitation(ctx context.Context, id int64) (*InvitationDecision, error) {
	var out InvitationDecision
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/invitations/"+strconv.FormatInt(id, 10)+"/reject", nil, nil, &out)
}

// ResendInvitation offers an invitation again with a new expiry.
func (c *Client) ResendInvitation(ctx context.Context, id int64) (*Invitation, error) {
	var out Invitation
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/invitations/"+strconv.FormatInt(id, 10)+"/resend", nil, nil, &out)
}

// Links lists an account's resource links; with account empty, the
// caller's account's (every account's for a mesh admin).
func (c *Client) Links(ctx context.Context, account string) ([]ResourceLink, error) {
	var out struct {
		Links []ResourceLink `json:"links"`
	}
	path := "/api/v1/links"
	if account != "" {
		path = "/api/v1/accounts/" + PathEscape(account) + "/links"
	}
	return out.Links, c.Do(ctx, http.MethodGet, path, nil, nil, &out)
}

// LinkTables lists the tables a resource link shows now.
func (c *Client) LinkTables(ctx context.Context, account, link string) ([]LinkedTable, error) {
	var out struct {
		Tables []LinkedTable `json:"tables"`
	}
	return out.Tables, c.Do(ctx, http.MethodGet, "/api/v1/accounts/"+PathEscape(account)+"/links/"+PathEscape(link)+"/tables", nil, nil, &out)
}

// Authorize decides one request.
func (c *Client) Authorize(ctx context.Context, req AuthorizeRequest) (*Decision, error) {
	var d Decision
	return &d, c.Do(ctx, http.MethodPost, "/api/v1/authorize", nil, req, &d)
}

// AuthorizeBatch decides several requests; decisions come in request order.
func (c *Client) AuthorizeBatch(ctx context.Context, reqs []AuthorizeRequest) ([]Decision, error) {
	var out struct {
		Decisions []Decision `json:"decisions"`
	}
	return out.Decisions, c.Do(ctx, http.MethodPost, "/api/v1/authorize", nil, map[string]any{"requests": reqs}, &out)
}
