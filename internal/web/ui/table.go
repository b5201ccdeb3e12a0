package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// TablePage shows a table: its columns with type, comment and PII badge,
// partition keys and parameters, and the form requesting access to it.
type TablePage struct {
	Page
	Database  *mesh.Database
	Table     *mesh.Table
	Sensitive bool
	// Legacy lists the pii_flags an older version stored that the catalog
	// refuses now, read as not personal data until someone corrects them.
	Legacy  []catalog.LegacyFlag
	Request RequestForm
}

func (u *UI) tablePage(w http.ResponseWriter, r *http.Request) error {
	f, err := u.newRequestForm(r, r.PathValue("table"))
	if err != nil {
		return err
	}
	return u.showTable(w, r, http.StatusOK, r.PathValue("database"), r.PathValue("table"), f)
}

func (u *UI) showTable(w http.ResponseWriter, r *http.Request, status int, database, table string, f RequestForm) error {
	d, err := u.Catalog.FindDatabase(r.Context(), database)
	if err != nil {
		return err
	}
	t, err := u.Catalog.FindTable(r.Context(), d.Name, table)
	if err != nil {
		return err
	}
	p := TablePage{Page: u.page(r, d.Name+"."+t.Name, "catalog"), Database: d, Table: t, Sensitive: d.PII() || t.HasPII(),
		Legacy: catalog.LegacyTableFlags(t), Request: f}
	return u.render(w, status, "table", p)
}
