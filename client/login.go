package client

import (
	"context"
	"net/http"
	"net/http/cookiejar"

	"github.com/meshgate/meshgate/internal/mesh"
)

// LoginResult answers a sign-in.
type LoginResult struct {
	User                   *mesh.User    `json:"user"`
	PasswordChangeRequired bool          `json:"password_change_required"`
	Session                *mesh.Session `json:"session"`
}

// Me describes the caller.
type Me struct {
	User             *mesh.User `json:"user"`
	MeshAdmin        bool       `json:"mesh_admin"`
	AuthenticatedBy  string     `json:"authenticated_by"`
	CentralAccountID string     `json:"central_account_id"`
}

// WithSession returns a copy of c without a token and with a cookie jar, so
// that Login's session cookie authenticates its later calls.
func (c *Client) WithSession() *Client {
	jar, _ := cookiejar.New(nil)
	hc := *c.http
	hc.Jar = jar
	cp := c.WithHTTPClient(&hc)
	cp.token = ""
	return cp
}

// Login signs in. The session cookie is kept only by a client made with
// WithSession.
func (c *Client) Login(ctx context.Context, username, password string) (*LoginResult, error) {
	var out LoginResult
	in := map[string]string{"username": username, "password": password}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/login", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, "/api/v1/logout", nil, nil, nil)
}

// Me returns the caller.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var out Me
	if err := c.Do(ctx, http.MethodGet, "/api/v1/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword changes the caller's password.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	in := map[string]string{"current_password": current, "new_password": next}
	return c.Do(ctx, http.MethodPost, "/api/v1/me/password", nil, in, nil)
}
