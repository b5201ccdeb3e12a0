package ui

import (
	"net/http"
	"strings"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/web"
)

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Username string
	Next     string
	Errors   FieldErrors
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) error {
	p := LoginPage{Page: u.page(r, "Sign in", ""), Next: localPath(r.URL.Query().Get("next"))}
	return u.render(w, http.StatusOK, "login", p)
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) error {
	p := LoginPage{Page: u.page(r, "Sign in", ""), Username: r.PostForm.Get("username"), Next: localPath(r.PostForm.Get("next"))}
	l, err := u.Auth.Login(r.Context(), auth.Credentials{Username: p.Username, Password: r.PostForm.Get("password"),
		RemoteAddr: web.ClientAddr(r), RequestID: web.RequestID(r.Context())})
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		return u.render(w, statusOfForm(err), "login", p)
	}
	http.SetCookie(w, u.Auth.SessionCookie(r, l))
	switch {
	case l.User.MustChangePassword:
		return redirect(w, r, "/password", "")
	case p.Next != "":
		return redirect(w, r, p.Next, "")
	}
	return redirect(w, r, "/catalog", "")
}

// localPath keeps a "next" target only when it is a path on this server,
// so the sign-in page cannot be used to send users elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	return p
}
