package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// LoginProvider is an identity provider users may sign in through.
type LoginProvider struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	LoginURL    string   `json:"login_url"`
	Issuer      string   `json:"issuer"`
	CLIClientID string   `json:"cli_client_id"`
	Scopes      []string `json:"scopes"`
}

// LoginProviders says how users may sign in.
type LoginProviders struct {
	PasswordSignIn bool             `json:"password_sign_in"`
	Providers      []*LoginProvider `json:"providers"`
}

// LoginProviders lists the identity providers and whether password sign-in is on.
func (c *Client) LoginProviders(ctx context.Context) (*LoginProviders, error) {
	var out LoginProviders
	if err := c.Do(ctx, http.MethodGet, "/api/v1/login/providers", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExchangeIDToken trades an ID token the provider issued (to the CLI's
// client) for a meshgate API token named name, valid for ttl (0: the
// server's default; a negative ttl goes to the server, which refuses it).
func (c *Client) ExchangeIDToken(ctx context.Context, provider, idToken, name string, ttl time.Duration) (*NewToken, error) {
	in := map[string]string{"id_token": idToken, "name": name}
	if ttl != 0 {
		in["expires_in"] = ttl.String()
	}
	var out NewToken
	if err := c.Do(ctx, http.MethodPost, "/api/v1/login/oidc/"+url.PathEscape(provider)+"/token", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetPasswordSignIn switches password sign-in on or off (mesh admins).
func (c *Client) SetPasswordSignIn(ctx context.Context, on bool) error {
	return c.Do(ctx, http.MethodPut, "/api/v1/settings/password-sign-in", nil, map[string]bool{"enabled": on}, nil)
}
