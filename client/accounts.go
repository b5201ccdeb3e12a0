package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/meshgate/meshgate/internal/mesh"
)

// AccountInput onboards an account.
type AccountInput struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Email        string `json:"email,omitempty"`
	// Reonboard allows an id that was offboarded before.
	Reonboard bool `json:"reonboard,omitempty"`
}

// AccountUpdate changes an account; nil fields stay as they are.
type AccountUpdate struct {
	Name         *string `json:"name,omitempty"`
	Organization *string `json:"organization,omitempty"`
	Email        *string `json:"email,omitempty"`
}

// AccountList is a page of accounts.
type AccountList struct {
	Accounts  []*mesh.Account `json:"accounts"`
	NextToken string          `json:"next_token,omitempty"`
}

// ListOptions pages through a listing.
type ListOptions struct {
	Limit     int
	NextToken string
}

func (o ListOptions) values() url.Values {
	v := url.Values{}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.NextToken != "" {
		v.Set("next_token", o.NextToken)
	}
	return v
}

// Offboarding is what offboarding an account affected.
type Offboarding struct {
	Account       *mesh.Account `json:"account"`
	Affected      []string      `json:"affected"`
	TransferredTo string        `json:"transferred_to,omitempty"`
	UsersRemoved  int           `json:"users_removed"`
}

// OffboardOptions tune an offboarding: Force ends what still refers to the
// account; TransferTo hands its products to another account instead of
// deleting them.
type OffboardOptions struct {
	Force      bool
	TransferTo string
}

// OnboardAccount creates an account (mesh admins).
func (c *Client) OnboardAccount(ctx context.Context, in AccountInput) (*mesh.Account, error) {
	var a mesh.Account
	if err := c.Do(ctx, http.MethodPost, "/api/v1/accounts", nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListAccounts returns a page of accounts, optionally of one organization.
func (c *Client) ListAccounts(ctx context.Context, organization string, o ListOptions) (*AccountList, error) {
	q := o.values()
	if organization != "" {
		q.Set("organization", organization)
	}
	var out AccountList
	if err := c.Do(ctx, http.MethodGet, "/api/v1/accounts", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAccount returns one account.
func (c *Client) GetAccount(ctx context.Context, id string) (*mesh.Account, error) {
	var a mesh.Account
	if err := c.Do(ctx, http.MethodGet, "/api/v1/accounts/"+PathEscape(id), nil, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAccount changes an account.
func (c *Client) UpdateAccount(ctx context.Context, id string, upd AccountUpdate) (*mesh.Account, error) {
	var a mesh.Account
	if err := c.Do(ctx, http.MethodPatch, "/api/v1/accounts/"+PathEscape(id), nil, upd, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// OffboardAccount removes an account. Without force, an account that still
// has dependents is refused with a conflict whose Details list them; with
// force they end, and its products are deleted or, with TransferTo, handed
// to that account.
func (c *Client) OffboardAccount(ctx context.Context, id string, o OffboardOptions) (*Offboarding, error) {
	q := url.Values{}
	if o.Force {
		q.Set("force", "true")
	}
	if o.TransferTo != "" {
		q.Set("transfer_to", o.TransferTo)
	}
	var out Offboarding
	if err := c.Do(ctx, http.MethodDelete, "/api/v1/accounts/"+PathEscape(id), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
