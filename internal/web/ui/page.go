package ui

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// contentSecurityPolicy allows only this server's own styles and images: no
// inline script or style, no frames, forms posting only here.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Page is what every page shows around its content: who is signed in, the
// form token, the section the navigation highlights and a notice.
type Page struct {
	Title   string
	Actor   *mesh.Actor
	CSRF    string
	Section string
	// Notice confirms what the last form did (after a redirect).
	Notice string
	// Error is a message for the whole page, such as a failed form's.
	Error string
}

// IsMeshAdmin reports whether the user is a mesh admin (for the navigation).
func (p Page) IsMeshAdmin() bool { return p.Actor.IsMeshAdmin() }

// IsAccountAdmin reports whether the user is an admin of its own account.
func (p Page) IsAccountAdmin() bool { return p.Actor.HasRole(mesh.RoleAdmin) }

// MayApprove reports whether the user sees approvals: approvers and admins
// of an account, and mesh admins.
func (p Page) MayApprove() bool {
	return p.Actor.IsMeshAdmin() || p.Actor.HasRole(mesh.RoleAdmin) || p.Actor.HasRole(mesh.RoleApprover)
}

// page fills the common part of a page for r.
func (u *UI) page(r *http.Request, title, section string) Page {
	p := Page{Title: title, Section: section, Actor: mesh.ActorFromContext(r.Context())}
	p.CSRF = u.csrfToken(r)
	p.Notice = notices[r.URL.Query().Get("notice")]
	return p
}

// notices are the confirmations a redirect after a form may name; only
// these fixed texts are shown, never text from the URL.
var notices = map[string]string{
	"password":        "Your password is changed.",
	"revoked":         "The token is revoked.",
	"accepted":        "The invitation is accepted; the shared data is listed below.",
	"rejected":        "The invitation is rejected.",
	"granted":         "The grant is saved.",
	"onboarded":       "The account is onboarded.",
	"offboarded":      "The account is offboarded.",
	"roles":           "The roles are saved.",
	"removed":         "The user is removed.",
	"saved":           "A new version is saved.",
	"created":         "The state machine is created.",
	"rolled-back":     "The earlier version is current again, saved as a new version.",
	"signed-out":      "You are signed out.",
	"requested":       "The request is submitted; its status and workflow are below.",
	"open":            "You have an open request for this already; here it is.",
	"open-other":      "Another user of your account has an open request for this already; your account's admins see it.",
	"resent":          "This form was sent already; here is the request it made.",
	"cancelled":       "The request is cancelled.",
	"request-revoked": "The access is revoked.",
	"approved":        "The request is approved and shared.",
	"denied":          "The request is denied.",
	"subscribed":      "The subscription is made; it receives messages once its endpoint confirms it.",
	"unsubscribed":    "The subscription is ended.",
	"retried":         "The delivery is queued again.",
}

// secure sets the headers every page carries.
func (u *UI) secure(h web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		setPageHeaders(w)
		return h(w, r)
	}
}

func setPageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
}

// render executes the named page into a buffer first, so that a template
// error never sends half a page.
func (u *UI) render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := u.tpl.execute(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// redirect answers a successful form with a redirect to a page (POST,
// redirect, GET), optionally naming a notice.
func redirect(w http.ResponseWriter, r *http.Request, path, notice string) error {
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "notice=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// ErrorPage shows a refusal or a failure.
type ErrorPage struct {
	Page
	Status  int
	Code    string
	Message string
}

// writeError is the pages' web.ErrorWriter: no session (or an expired one)
// leads to the sign-in page, a temporary password to the password page,
// anything else to an error page with the status the API would answer.
func (u *UI) writeError(w http.ResponseWriter, r *http.Request, err error) {
	setPageHeaders(w)
	switch {
	case mesh.IsCode(err, mesh.EUNAUTHORIZED):
		if _, cerr := r.Cookie(auth.CookieName); cerr == nil {
			http.SetCookie(w, u.Auth.ClearCookie(r))
		}
		next := ""
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			next = "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, "/login"+next, http.StatusSeeOther)
		return
	case errors.Is(err, auth.ErrPasswordChangeRequired):
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return
	}
	status := web.StatusOf(err)
	p := ErrorPage{Page: u.page(r, http.StatusText(status), ""), Status: status, Code: mesh.ErrorCode(err), Message: mesh.ErrorMessage(err)}
	if status >= 500 {
		slog.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path,
			"request_id", web.RequestID(r.Context()), "err", err)
	}
	if rerr := u.render(w, status, "error", p); rerr != nil {
		slog.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// csrfToken is the form token of r's session: an HMAC of the session
// secret, so nothing is stored and another session's token never fits.
// Without a session (the sign-in form) it is empty.
func (u *UI) csrfToken(r *http.Request) string {
	c, err := r.Cookie(auth.CookieName)
	if err != nil || c.Value == "" {
		return ""
	}
	m := hmac.New(sha256.New, u.CSRFKey)
	m.Write([]byte("form:"))
	m.Write([]byte(c.Value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// maxFormBytes bounds a form's body; a state machine definition may be 1 MiB.
const maxFormBytes = 2 << 20

// protect guards a form's POST: it must come from this origin (Fetch
// metadata or Origin), and a signed-in user's form must carry the
// session's token too, in case a browser sends neither header.
func (u *UI) protect(h web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := u.cop.Check(r); err != nil {
			return mesh.Errorf(mesh.EFORBIDDEN, "the form was sent from another site; reload the page and try again")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return mesh.Errorf(mesh.ETOOLARGE, "the form is larger than %d bytes", maxFormBytes)
			}
			return mesh.Invalid("form", "the form could not be read")
		}
		if mesh.ActorFromContext(r.Context()) != nil {
			want := u.csrfToken(r)
			if want == "" || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(want)) {
				return mesh.Errorf(mesh.EFORBIDDEN, "the form has expired or was not sent from this site; reload the page and try again")
			}
		}
		return h(w, r)
	}
}

// FieldErrors names what is wrong with a form's fields, by field name.
type FieldErrors map[string]string

// formFailure splits err into a message per field (for an expected failure:
// bad input, a conflict, a refusal) or returns it for the error page.
func formFailure(err error) (FieldErrors, string, error) {
	var e *mesh.Error
	if !errors.As(err, &e) {
		return nil, "", err
	}
	switch e.Code {
	case mesh.EINVALID, mesh.ECONFLICT, mesh.EFORBIDDEN, mesh.ENOTFOUND, mesh.ETOOLARGE, mesh.EUNAUTHORIZED, mesh.ERATELIMIT:
	default:
		return nil, "", err
	}
	if e.Field != "" {
		field := e.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		// "roles[1]" is the roles field's
		field, _, _ = strings.Cut(field, "[")
		return FieldErrors{field: e.Message}, "", nil
	}
	return nil, e.Message, nil
}

// onForm keeps the errors of the fields a form shows and makes any other
// (such as one naming what a hidden field holds) the form's message, field
// first, so that no refusal goes unexplained.
func (fe FieldErrors) onForm(msg string, fields ...string) (FieldErrors, string) {
	for k, m := range fe {
		if slices.Contains(fields, k) {
			continue
		}
		delete(fe, k)
		if msg != "" {
			msg += " "
		}
		msg += k + ": " + m
	}
	return fe, msg
}

// elsewhere is the page's message for the errors of a failed form about
// an item the page does not show with that form (one on another page, one
// gone or decided meanwhile), after what they concern, so that no refusal
// goes unexplained. general is the key of a message about the whole item.
func (fe FieldErrors) elsewhere(what, general string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fe)) {
		if k == general {
			parts = append(parts, fe[k])
		} else {
			parts = append(parts, k+": "+fe[k])
		}
	}
	return what + ": " + strings.Join(parts, "; ")
}

// statusOfForm is the status a page re-shown after a failed form answers.
func statusOfForm(err error) int { return web.StatusOf(err) }

// refused is what a form's handler returns after showing its page again
// with the refusal err (shown is that page's error): err marked answered,
// so that the router audits the refused change as it audits the API's,
// without a second response. A page that could not be shown is the error
// instead, which the router writes and audits.
func refused(err, shown error) error {
	if shown != nil {
		return shown
	}
	return web.Answered(err)
}
