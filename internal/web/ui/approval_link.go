package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web"
)

// ApprovalLinkPage is what an approval link from a notification opens: the
// request and a form that decides it. Opening the page decides nothing (mail
// scanners and link previews open it too); only the form's POST does, and
// the link's signed token, in the form, stands in for a session's form
// token: nobody without the link can forge the form.
type ApprovalLinkPage struct {
	Page
	Link *sharing.ApprovalLink
	// Decision is what the form preselects ("approve" or "deny").
	Decision string
	Comment  string
	Errors   FieldErrors
	// SignIn is the sign-in page leading back here, when the owning
	// account requires approvers to sign in and nobody is signed in.
	SignIn string
}

// RegisterApprovalLink adds the approval-link page, GET (and HEAD) to show
// and POST to decide; both are public: the signed link is the credential,
// with a session too when the owning account requires one.
func (u *UI) RegisterApprovalLink(rt *web.Router, links *sharing.Service) {
	h := &approvalLinks{u: u, links: links}
	rt.HandleWith("GET", sharing.ApprovalLinkPath, web.Public, u.writeError, u.secure(h.show))
	rt.HandleWith("POST", sharing.ApprovalLinkPath, web.Public, u.writeError, u.secure(h.decide))
}

type approvalLinks struct {
	u     *UI
	links *sharing.Service
}

// withSession adds the signed-in user, if any, to r: the route is public,
// so the router did not look.
func (h *approvalLinks) withSession(r *http.Request) *http.Request {
	a, err := h.u.Auth.Authenticate(r.Context(), r)
	if err != nil || a == nil {
		return r
	}
	a.RemoteAddr, a.RequestID = web.ClientAddr(r), web.RequestID(r.Context())
	return r.WithContext(mesh.NewContext(r.Context(), a))
}

func (h *approvalLinks) show(w http.ResponseWriter, r *http.Request) error {
	r = h.withSession(r)
	token := r.URL.Query().Get("token")
	l, err := h.links.OpenApprovalLink(r.Context(), token)
	if err != nil {
		return err
	}
	p := h.page(r, l)
	if r.URL.Query().Get("decision") == "deny" {
		p.Decision = "deny"
	}
	return h.u.render(w, http.StatusOK, "approval_link", p)
}

func (h *approvalLinks) page(r *http.Request, l *sharing.ApprovalLink) ApprovalLinkPage {
	title := "Approval needed"
	if l.Decided {
		title = "Request decided"
	}
	p := ApprovalLinkPage{Page: h.u.page(r, title, ""), Link: l, Decision: "approve"}
	if l.SignInRequired && p.Actor == nil {
		p.SignIn = "/login?next=" + url.QueryEscape(sharing.ApprovalLinkPath+"?token="+url.QueryEscape(l.Token))
	}
	return p
}

// decide takes the form's POST: from this origin only, with the link's token.
func (h *approvalLinks) decide(w http.ResponseWriter, r *http.Request) error {
	if err := h.u.cop.Check(r); err != nil {
		return mesh.Errorf(mesh.EFORBIDDEN, "the form was sent from another site; open the link again")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return mesh.Errorf(mesh.ETOOLARGE, "the form is larger than %d bytes", 64<<10)
		}
		return mesh.Invalid("form", "the form could not be read")
	}
	r = h.withSession(r)
	token, decision, comment := r.PostForm.Get("token"), r.PostForm.Get("decision"), r.PostForm.Get("comment")
	if decision != "approve" && decision != "deny" {
		return h.failed(w, r, token, decision, comment, mesh.Invalid("decision", "choose approve or deny"))
	}
	l, err := h.links.DecideByLink(r.Context(), token, decision == "approve", comment)
	if err != nil {
		return h.failed(w, r, token, decision, comment, err)
	}
	return redirect(w, r, sharing.ApprovalLinkPath+"?token="+url.QueryEscape(l.Token), "")
}

// failed shows the form again with what went wrong, when the link still
// shows; otherwise the error page.
func (h *approvalLinks) failed(w http.ResponseWriter, r *http.Request, token, decision, comment string, err error) error {
	if mesh.IsCode(err, mesh.EUNAUTHORIZED) {
		err = mesh.Errorf(mesh.EFORBIDDEN, "%s", mesh.ErrorMessage(err)) // the page says how to sign in; no redirect that drops the form
	}
	errs, msg, ferr := formFailure(err)
	if ferr != nil {
		return ferr
	}
	l, lerr := h.links.OpenApprovalLink(r.Context(), token)
	if lerr != nil {
		return err
	}
	p := h.page(r, l)
	p.Decision, p.Comment, p.Errors, p.Error = decision, comment, errs, msg
	return refused(err, h.u.render(w, statusOfForm(err), "approval_link", p))
}
