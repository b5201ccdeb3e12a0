package ui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
)

// invitationsPageSize is how many invitations one page lists.
const invitationsPageSize = 25

// InvitationsPage lists the invitations of the user's account, newest
// first, a page at a time; its admins accept one (naming the resource link
// it creates) or reject it.
type InvitationsPage struct {
	Page
	Invitations []*mesh.Invitation
	// Before is the page's "before" parameter, which its forms keep so that
	// their answer shows the same page; Next and First link to the next
	// and the first page ("" on the last, and on the first).
	Before      int64
	Next, First string
	// Failed is the invitation whose form failed, with what was typed.
	Failed   int64
	LinkName string
	Errors   FieldErrors
}

func (u *UI) invitationsPage(w http.ResponseWriter, r *http.Request) error {
	return u.showInvitations(w, r, http.StatusOK, InvitationsPage{Page: u.page(r, "Invitations", "invitations")})
}

func (u *UI) showInvitations(w http.ResponseWriter, r *http.Request, status int, p InvitationsPage) error {
	var err error
	if p.Before, err = beforeParam(r.URL.Query(), "invitation id"); err != nil {
		return err
	}
	if p.Before != 0 {
		p.First = "/invitations"
	}
	invs, next, err := u.Access.ListInvitations(r.Context(), access.InvitationFilter{AccountID: p.Actor.AccountID,
		BeforeID: p.Before, Limit: invitationsPageSize})
	if err != nil {
		return err
	}
	p.Invitations = invs
	if next != 0 {
		p.Next = listLink("/invitations", map[string]string{"before": strconv.FormatInt(next, 10)})
	}
	if p.Errors != nil && !slices.ContainsFunc(invs, func(inv *mesh.Invitation) bool {
		return inv.ID == p.Failed && (p.Errors["link_name"] == "" || inv.Status == mesh.InvitationPending && p.IsAccountAdmin())
	}) {
		// neither the invitation nor its form shows the errors
		p.Error, p.Errors = p.Errors.elsewhere("Invitation "+strconv.FormatInt(p.Failed, 10), "invitation"), nil
	}
	return u.render(w, status, "invitations", p)
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, mesh.Invalid(name, "%s id %q must be a positive number", name, r.PathValue(name))
	}
	return id, nil
}

func (u *UI) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	link := r.PostForm.Get("link_name")
	if _, err := u.Access.AcceptInvitation(r.Context(), id, link); err != nil {
		return u.invitationFailed(w, r, id, link, err)
	}
	return redirect(w, r, "/shared", "accepted")
}

func (u *UI) rejectInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.Access.RejectInvitation(r.Context(), id); err != nil {
		return u.invitationFailed(w, r, id, "", err)
	}
	return redirect(w, r, listLink("/invitations", map[string]string{"before": r.URL.Query().Get("before")}), "rejected")
}

// invitationFailed shows the list again with the failure beside the
// invitation it concerns and the link name as typed.
func (u *UI) invitationFailed(w http.ResponseWriter, r *http.Request, id int64, link string, err error) error {
	fe, msg, ferr := formFailure(err)
	if ferr != nil {
		return ferr
	}
	if fe == nil {
		fe = FieldErrors{"invitation": msg}
	}
	p := InvitationsPage{Page: u.page(r, "Invitations", "invitations"), Failed: id, LinkName: link, Errors: fe}
	return refused(err, u.showInvitations(w, r, statusOfForm(err), p))
}
