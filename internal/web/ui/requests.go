package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
)

// requestsPageSize is how many requests one page lists.
const requestsPageSize = 50

// RequestsPage lists access requests, newest first: the user's own, or
// every one they may see (their account's, its products', for admins and
// approvers), filtered by status.
type RequestsPage struct {
	Page
	Requests []*mesh.AccessRequest
	Status   string
	Statuses []string
	// All lists every request the user may see rather than their own.
	All bool
	// CanSeeOthers is set for users who see requests besides their own.
	CanSeeOthers bool
	Next, First  string
}

func (u *UI) requestsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := RequestsPage{Page: u.page(r, "My requests", "requests"), Status: q.Get("status"), Statuses: mesh.RequestStatuses,
		All: q.Get("scope") == "all"}
	a := p.Actor
	p.CanSeeOthers = a.IsMeshAdmin() || a.HasRole(mesh.RoleAdmin) || a.HasRole(mesh.RoleApprover)
	if p.All && p.CanSeeOthers {
		p.Title = "Requests"
	}
	f := sharing.RequestFilter{Status: p.Status, Mine: !p.All || !p.CanSeeOthers, Limit: requestsPageSize + 1}
	filter := map[string]string{"status": p.Status}
	if p.All {
		filter["scope"] = "all"
	}
	var err error
	if f.BeforeID, err = beforeParam(q, "request id"); err != nil {
		return err
	}
	if f.BeforeID != 0 {
		p.First = listLink("/requests", filter)
	}
	rs, err := u.Sharing.FindRequests(r.Context(), f)
	if err != nil {
		return err
	}
	p.Requests, p.Next = nextPage(rs, requestsPageSize, "/requests", filter, func(r *mesh.AccessRequest) int64 { return r.ID })
	return u.render(w, http.StatusOK, "requests", p)
}
