package client

import (
	"context"
	"net/http"
	"net/url"
)

// ApprovalLinkSettings say whether an approval link alone decides or its
// approver must also sign in.
type ApprovalLinkSettings struct {
	AccountID      string `json:"account_id"`
	SignInRequired bool   `json:"sign_in_required"`
}

// ApprovalLinkSettings returns an account's approval-link settings.
func (c *Client) ApprovalLinkSettings(ctx context.Context, account string) (*ApprovalLinkSettings, error) {
	var out ApprovalLinkSettings
	return &out, c.Do(ctx, http.MethodGet, "/api/v1/accounts/"+url.PathEscape(account)+"/approval-links", nil, nil, &out)
}

// SetApprovalLinkSettings sets whether the account's approvers must sign in
// to decide through a link.
func (c *Client) SetApprovalLinkSettings(ctx context.Context, account string, signInRequired bool) (*ApprovalLinkSettings, error) {
	var out ApprovalLinkSettings
	return &out, c.Do(ctx, http.MethodPut, "/api/v1/accounts/"+url.PathEscape(account)+"/approval-links", nil,
		map[string]bool{"sign_in_required": signInRequired}, &out)
}
