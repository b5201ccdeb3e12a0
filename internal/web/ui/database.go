package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// DatabasePage shows a database: description, parameters and tables, and
// the form requesting access to all of it.
type DatabasePage struct {
	Page
	Database  *mesh.Database
	Sensitive bool
	// Legacy lists the database's legacy pii_flag, as TablePage's.
	Legacy []catalog.LegacyFlag
	Tables []*mesh.Table
	// More is set when the database has more tables than the page lists.
	More    bool
	Request RequestForm
}

// databaseTablesShown bounds the tables a database page lists.
const databaseTablesShown = 500

func (u *UI) databasePage(w http.ResponseWriter, r *http.Request) error {
	f, err := u.newRequestForm(r, "")
	if err != nil {
		return err
	}
	return u.showDatabase(w, r, http.StatusOK, r.PathValue("database"), f)
}

func (u *UI) showDatabase(w http.ResponseWriter, r *http.Request, status int, name string, f RequestForm) error {
	d, err := u.Catalog.FindDatabase(r.Context(), name)
	if err != nil {
		return err
	}
	tables, err := u.Catalog.FindTables(r.Context(), catalog.TableFilter{Database: name, Limit: databaseTablesShown + 1})
	if err != nil {
		return err
	}
	p := DatabasePage{Page: u.page(r, d.Name, "catalog"), Database: d, Legacy: catalog.LegacyDatabaseFlags(d), Tables: tables, Request: f}
	if len(tables) > databaseTablesShown {
		p.Tables, p.More = tables[:databaseTablesShown], true
	}
	if p.Sensitive, err = u.Catalog.HasPII(r.Context(), name, ""); err != nil {
		return err
	}
	return u.render(w, status, "database", p)
}
