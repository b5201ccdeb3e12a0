package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
)

// UserInput creates a user in an account.
type UserInput struct {
	Username string   `json:"username"`
	Email    string   `json:"email,omitempty"`
	Roles    []string `json:"roles"`
}

// NewUser is a created user with its one-time temporary password.
type NewUser struct {
	User              *mesh.User `json:"user"`
	TemporaryPassword string     `json:"temporary_password"`
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Email *string   `json:"email,omitempty"`
	Roles *[]string `json:"roles,omitempty"`
}

// UserList is a page of users.
type UserList struct {
	Users     []*mesh.User `json:"users"`
	NextToken string       `json:"next_token,omitempty"`
}

// CreateUser creates a user in account accountID.
func (c *Client) CreateUser(ctx context.Context, accountID string, in UserInput) (*NewUser, error) {
	var out NewUser
	if err := c.Do(ctx, http.MethodPost, "/api/v1/accounts/"+PathEscape(accountID)+"/users", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUsers returns a page of users, of one account when accountID is set,
// holding role when role is set.
func (c *Client) ListUsers(ctx context.Context, accountID, role string, o ListOptions) (*UserList, error) {
	q := o.values()
	if accountID != "" {
		q.Set("account", accountID)
	}
	if role != "" {
		q.Set("role", role)
	}
	var out UserList
	if err := c.Do(ctx, http.MethodGet, "/api/v1/users", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUser returns one user.
func (c *Client) GetUser(ctx context.Context, id int64) (*mesh.User, error) {
	var u mesh.User
	if err := c.Do(ctx, http.MethodGet, userPath(id), nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UpdateUser changes a user's roles or email.
func (c *Client) UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*mesh.User, error) {
	var u mesh.User
	if err := c.Do(ctx, http.MethodPatch, userPath(id), nil, upd, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUser removes a user.
func (c *Client) DeleteUser(ctx context.Context, id int64) error {
	return c.Do(ctx, http.MethodDelete, userPath(id), nil, nil, nil)
}

// ResetPassword gives a user a new temporary password and returns it.
func (c *Client) ResetPassword(ctx context.Context, id int64) (string, error) {
	var out struct {
		TemporaryPassword string `json:"temporary_password"`
	}
	if err := c.Do(ctx, http.MethodPost, userPath(id)+"/password-reset", nil, nil, &out); err != nil {
		return "", err
	}
	return out.TemporaryPassword, nil
}

// FindUserByName returns the user with that username, looked up in the
// listing the caller may see.
func (c *Client) FindUserByName(ctx context.Context, username string) (*mesh.User, error) {
	o := ListOptions{Limit: 1000}
	for {
		page, err := c.ListUsers(ctx, "", "", o)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			if u.Username == username {
				return u, nil
			}
		}
		if page.NextToken == "" {
			return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("user %q not found", username)}
		}
		o.NextToken = page.NextToken
	}
}

func userPath(id int64) string { return fmt.Sprintf("/api/v1/users/%d", id) }
