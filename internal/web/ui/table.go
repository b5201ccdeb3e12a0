package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TablePage shows a table: its columns with type, comment and PII badge,
// partition keys and parameters.
type TablePage struct {
	Page
	Database  *mesh.Database
	Table     *mesh.Table
	Sensitive bool
}

func (u *UI) tablePage(w http.ResponseWriter, r *http.Request) error {
	d, err := u.Catalog.FindDatabase(r.Context(), r.PathValue("database"))
	if err != nil {
		return err
	}
	t, err := u.Catalog.FindTable(r.Context(), d.Name, r.PathValue("table"))
	if err != nil {
		return err
	}
	p := TablePage{Page: u.page(r, d.Name+"."+t.Name, "catalog"), Database: d, Table: t, Sensitive: d.PII() || t.HasPII()}
	return u.render(w, http.StatusOK, "table", p)
}
