package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// LoginPage is the sign-in form, with a link per identity provider.
type LoginPage struct {
	Page
	Username string
	Next     string
	Errors   FieldErrors
	// Password is false when a mesh admin switched password sign-in off.
	Password  bool
	Providers []LoginProvider
}

// LoginProvider is one identity provider's sign-in link.
type LoginProvider struct {
	DisplayName string
	URL         string
}

// loginPageFor fills the sign-in page's ways to sign in; next, a local
// path, is where each provider's sign-in returns to.
func (u *UI) loginPageFor(r *http.Request, next string) (LoginPage, error) {
	p := LoginPage{Page: u.page(r, "Sign in", ""), Next: next}
	var err error
	if p.Password, err = u.Auth.PasswordSignIn(r.Context()); err != nil {
		return p, err
	}
	ret := next
	if ret == "" {
		ret = "/catalog"
	}
	for _, pr := range u.OIDC.Providers() {
		p.Providers = append(p.Providers, LoginProvider{DisplayName: pr.DisplayName,
			URL: "/auth/oidc/" + url.PathEscape(pr.Name) + "/login?return=" + url.QueryEscape(ret)})
	}
	return p, nil
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loginPageFor(r, localPath(r.URL.Query().Get("next")))
	if err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "login", p)
}

// SignInRefused answers a browser whose sign-in through an identity
// provider failed (no matching group, the provider unavailable, a stale
// state) with the UI's error page, saying why. Errors it cannot explain
// are returned.
func (u *UI) SignInRefused(w http.ResponseWriter, r *http.Request, err error) error {
	status := web.StatusOf(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		return err
	}
	title := "Sign-in refused"
	if status == http.StatusServiceUnavailable {
		title = "Sign-in unavailable"
	}
	setPageHeaders(w)
	p := ErrorPage{Page: u.page(r, title, ""), Status: status, Code: mesh.ErrorCode(err), Message: mesh.ErrorMessage(err)}
	return u.render(w, status, "error", p)
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loginPageFor(r, localPath(r.PostForm.Get("next")))
	if err != nil {
		return err
	}
	p.Username = r.PostForm.Get("username")
	l, err := u.Auth.Login(r.Context(), auth.Credentials{Username: p.Username, Password: r.PostForm.Get("password"),
		RemoteAddr: web.ClientAddr(r), RequestID: web.RequestID(r.Context())})
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		// audited as the API's refused sign-ins are
		return refused(web.WithAuditNote(err, "username "+web.QuoteForAudit(p.Username)), u.render(w, statusOfForm(err), "login", p))
	}
	http.SetCookie(w, u.Auth.SessionCookie(r, l))
	switch {
	case l.User.MustChangePassword && p.Next != "":
		return redirect(w, r, "/password?next="+url.QueryEscape(p.Next), "")
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
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	// Browsers read a backslash in a path as a slash, and http.Redirect
	// cleans dot segments out of the path (up to a "?"): /a/../\x goes out
	// as /\x, which takes them to host x. No page's path holds one.
	if pth, _, _ := strings.Cut(p, "?"); strings.ContainsRune(pth, '\\') {
		return ""
	}
	// url.Parse refuses control characters, which browsers drop from a
	// URL: "/\t/evil.example/" would take them to //evil.example/
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return p
}
