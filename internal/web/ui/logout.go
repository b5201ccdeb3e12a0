package ui

import (
	"net/http"
)

func (u *UI) logout(w http.ResponseWriter, r *http.Request) error {
	if err := u.Auth.Logout(r.Context()); err != nil {
		return err
	}
	http.SetCookie(w, u.Auth.ClearCookie(r))
	return redirect(w, r, "/login", "signed-out")
}
