package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
)

// SharedPage lists the account's resource links: the data other accounts
// shared with it, each with the tables it shows.
type SharedPage struct {
	Page
	Links []LinkRow
}

// LinkRow is one resource link and its tables.
type LinkRow struct {
	*mesh.ResourceLink
	Tables []access.LinkedTable
}

func (u *UI) sharedPage(w http.ResponseWriter, r *http.Request) error {
	p := SharedPage{Page: u.page(r, "Shared data", "shared")}
	links, err := u.Access.ListLinks(r.Context(), p.Actor.AccountID)
	if err != nil {
		return err
	}
	for _, l := range links {
		tables, err := u.Access.LinkTables(r.Context(), p.Actor.AccountID, l.Name)
		if err != nil {
			return err
		}
		p.Links = append(p.Links, LinkRow{ResourceLink: l, Tables: tables})
	}
	return u.render(w, http.StatusOK, "shared", p)
}
