package ui

import (
	"net/http"
	"strconv"

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
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			return mesh.Invalid("before", "must be a request id")
		}
		f.BeforeID = id
		p.First = listLink("/requests", filter)
	}
	rs, err := u.Sharing.FindRequests(r.Context(), f)
	if err != nil {
		return err
	}
	if len(rs) > requestsPageSize {
		rs = rs[:requestsPageSize]
		filter["before"] = strconv.FormatInt(rs[len(rs)-1].ID, 10)
		p.Next = listLink("/requests", filter)
	}
	p.Requests = rs
	return u.render(w, http.StatusOK, "requests", p)
}
