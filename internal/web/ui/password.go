package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
)

// PasswordPage changes the signed-in user's password; a user with a
// temporary password is sent here until it is changed.
type PasswordPage struct {
	Page
	Required  bool
	MinLength int
	Errors    FieldErrors
	// Next is the page the user set out for before signing in, where the
	// change goes on to.
	Next string
}

func (u *UI) passwordPage(w http.ResponseWriter, r *http.Request) error {
	p, err := u.newPasswordPage(r)
	if err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "password", p)
}

func (u *UI) newPasswordPage(r *http.Request) (PasswordPage, error) {
	p := PasswordPage{Page: u.page(r, "Change your password", "tokens"), MinLength: auth.MinPasswordLen,
		Next: localPath(r.FormValue("next"))}
	user, err := u.Auth.FindUserByID(r.Context(), p.Actor.UserID)
	if err != nil {
		return p, err
	}
	p.Required = user.MustChangePassword
	if p.Required {
		p.Title = "Choose your own password"
	}
	return p, nil
}

func (u *UI) changePassword(w http.ResponseWriter, r *http.Request) error {
	next := r.PostForm.Get("new_password")
	if confirm := r.PostForm.Get("confirm_password"); confirm != next {
		p, err := u.newPasswordPage(r)
		if err != nil {
			return err
		}
		mismatch := mesh.Invalid("confirm_password", "does not match the new password")
		p.Errors = FieldErrors{"confirm_password": mismatch.Message}
		return refused(mismatch, u.render(w, statusOfForm(mismatch), "password", p))
	}
	if err := u.Auth.ChangePassword(r.Context(), r.PostForm.Get("current_password"), next); err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p, perr := u.newPasswordPage(r)
		if perr != nil {
			return perr
		}
		if msg != "" && fe == nil {
			// a wrong current password is the current password's fault
			fe = FieldErrors{"current_password": msg}
		}
		p.Errors = fe
		return refused(err, u.render(w, statusOfForm(err), "password", p))
	}
	if next := localPath(r.PostForm.Get("next")); next != "" {
		return redirect(w, r, next, "password")
	}
	return redirect(w, r, "/catalog", "password")
}
