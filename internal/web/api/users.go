package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
)

func registerUsers(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/users", web.Authenticated, d.listUsers)
	rt.Handle("GET", "/api/v1/accounts/{id}/users", web.Authenticated, d.listAccountUsers)
	rt.Handle("POST", "/api/v1/accounts/{id}/users", web.Authenticated, d.createUser)
	rt.Handle("GET", "/api/v1/users/{user}", web.Authenticated, d.getUser)
	rt.Handle("PATCH", "/api/v1/users/{user}", web.Authenticated, d.updateUser)
	rt.Handle("DELETE", "/api/v1/users/{user}", web.Authenticated, d.deleteUser)
	rt.Handle("POST", "/api/v1/users/{user}/password-reset", web.Authenticated, d.resetPassword)
}

// UserList is a page of users.
type UserList struct {
	Users     []*mesh.User `json:"users"`
	NextToken string       `json:"next_token,omitempty"`
}

type userCursor struct {
	After int64 `json:"a"`
}

func (d *Deps) listUsers(w http.ResponseWriter, r *http.Request) error {
	accountID, err := accountParam(r)
	if err != nil {
		return err
	}
	return d.writeUsers(w, r, accountID)
}

func (d *Deps) listAccountUsers(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	// The path names an account: one that does not exist is a 404 (where
	// the ?account= filter of /users matches nothing). Only mesh admins list
	// other accounts' users: anyone else is refused first.
	if mesh.ActorFromContext(r.Context()).IsMeshAdmin() {
		if _, err := d.Accounts.FindAccountByID(r.Context(), id); err != nil {
			return err
		}
	}
	return d.writeUsers(w, r, id)
}

func (d *Deps) writeUsers(w http.ResponseWriter, r *http.Request, accountID string) error {
	q := r.URL.Query()
	limit, err := identLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	f := store.UserFilter{AccountID: accountID, Role: q.Get("role"), Limit: limit}
	var c userCursor
	if err := d.readCursor(r, &c); err != nil {
		return err
	}
	f.AfterID = c.After
	us, err := d.Auth.FindUsers(r.Context(), f)
	if err != nil {
		return err
	}
	out := UserList{Users: us}
	if len(us) == limit {
		out.NextToken = d.Pages.Encode(userCursor{After: us[len(us)-1].ID})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// UserInput is the body of a user's creation.
type UserInput struct {
	Username string   `json:"username"`
	Email    string   `json:"email,omitempty"`
	Roles    []string `json:"roles"`
}

// NewUserResult carries the one-time temporary password of a new user.
type NewUserResult struct {
	User              *mesh.User `json:"user"`
	TemporaryPassword string     `json:"temporary_password"`
}

func (d *Deps) createUser(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	var in UserInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, pw, err := d.Auth.CreateUser(r.Context(), auth.NewUser{AccountID: id, Username: in.Username, Email: in.Email, Roles: in.Roles})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, NewUserResult{User: u, TemporaryPassword: pw})
	return nil
}

func (d *Deps) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	u, err := d.Auth.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

func (d *Deps) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	var upd auth.UserUpdate
	if err := web.DecodeJSON(w, r, &upd); err != nil {
		return err
	}
	u, err := d.Auth.UpdateUser(r.Context(), id, upd)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

func (d *Deps) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	if err := d.Auth.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PasswordReset carries a user's new temporary password.
type PasswordReset struct {
	TemporaryPassword string `json:"temporary_password"`
}

func (d *Deps) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	pw, err := d.Auth.ResetPassword(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, PasswordReset{TemporaryPassword: pw})
	return nil
}
