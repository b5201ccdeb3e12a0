package api

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

func registerSessions(rt *web.Router, d *Deps) {
	rt.Handle("POST", "/api/v1/login", web.Public, d.login)
	rt.Handle("POST", "/api/v1/logout", web.Authenticated, d.logout)
	rt.Handle("GET", "/api/v1/me", web.Authenticated, d.me)
	rt.Handle("POST", "/api/v1/me/password", web.Authenticated, d.changePassword)
}

// LoginInput is the body of a sign-in.
type LoginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResult answers a sign-in; the session itself travels in the cookie.
type LoginResult struct {
	User *mesh.User `json:"user"`
	// PasswordChangeRequired is set while the user holds a temporary
	// password: the session may then only change it.
	PasswordChangeRequired bool          `json:"password_change_required"`
	Session                *mesh.Session `json:"session"`
}

func (d *Deps) login(w http.ResponseWriter, r *http.Request) error {
	var in LoginInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := d.Auth.Login(r.Context(), auth.Credentials{Username: in.Username, Password: in.Password,
		RemoteAddr: web.ClientAddr(r), RequestID: web.RequestID(r.Context())})
	if err != nil {
		return web.WithAuditNote(err, "username "+web.QuoteForAudit(in.Username))
	}
	http.SetCookie(w, d.Auth.SessionCookie(r, l))
	web.WriteJSON(w, http.StatusOK, LoginResult{User: l.User, PasswordChangeRequired: l.User.MustChangePassword, Session: l.Session})
	return nil
}

func (d *Deps) logout(w http.ResponseWriter, r *http.Request) error {
	if err := d.Auth.Logout(r.Context()); err != nil {
		return err
	}
	http.SetCookie(w, d.Auth.ClearCookie(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Me describes the caller.
type Me struct {
	User *mesh.User `json:"user"`
	// MeshAdmin is set for admins of the central account.
	MeshAdmin bool `json:"mesh_admin"`
	// AuthenticatedBy is "session" or "token".
	AuthenticatedBy  string `json:"authenticated_by"`
	CentralAccountID string `json:"central_account_id"`
}

func (d *Deps) me(w http.ResponseWriter, r *http.Request) error {
	actor := mesh.ActorFromContext(r.Context())
	u, err := d.Auth.FindUserByID(r.Context(), actor.UserID)
	if err != nil {
		return err
	}
	by := "session"
	if actor.TokenID != 0 {
		by = "token"
	}
	web.WriteJSON(w, http.StatusOK, Me{User: u, MeshAdmin: actor.IsMeshAdmin(), AuthenticatedBy: by, CentralAccountID: actor.CentralAccountID})
	return nil
}

// PasswordChange is the body of a password change.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (d *Deps) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in PasswordChange
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := d.Auth.ChangePassword(r.Context(), in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
