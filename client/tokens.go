package client

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// NewToken is a created API token with its secret, shown only once.
type NewToken struct {
	Token  *mesh.Token `json:"token"`
	Secret string      `json:"secret"`
}

type tokenInput struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expires_in,omitempty"`
}

func newTokenInput(name string, ttl time.Duration) tokenInput {
	in := tokenInput{Name: name}
	// A negative ttl goes to the server, which refuses it: left out, it
	// would make a token that never expires.
	if ttl != 0 {
		in.ExpiresIn = ttl.String()
	}
	return in
}

// CreateToken creates an API token for the caller, valid for ttl (0: no expiry).
func (c *Client) CreateToken(ctx context.Context, name string, ttl time.Duration) (*NewToken, error) {
	var out NewToken
	if err := c.Do(ctx, http.MethodPost, "/api/v1/me/tokens", nil, newTokenInput(name, ttl), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IssueToken creates an API token for another user (mesh admins, or the
// user's account's admins).
func (c *Client) IssueToken(ctx context.Context, userID int64, name string, ttl time.Duration) (*NewToken, error) {
	var out NewToken
	if err := c.Do(ctx, http.MethodPost, userPath(userID)+"/tokens", nil, newTokenInput(name, ttl), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens lists the caller's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]*mesh.Token, error) {
	var out struct {
		Tokens []*mesh.Token `json:"tokens"`
	}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/me/tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Tokens, nil
}

// RevokeUserToken revokes token id of user userID (mesh admins, the user's account admins).
func (c *Client) RevokeUserToken(ctx context.Context, userID, id int64) error {
	return c.Do(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/users/%d/tokens/%d", userID, id), nil, nil, nil)
}

// RevokeToken revokes one of the caller's tokens.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.Do(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/me/tokens/%d", id), nil, nil, nil)
}
