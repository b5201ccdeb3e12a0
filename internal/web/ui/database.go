package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// DatabasePage shows a database: description, parameters and tables.
type DatabasePage struct {
	Page
	Database  *mesh.Database
	Sensitive bool
	Tables    []*mesh.Table
	// More is set when the database has more tables than the page lists.
	More bool
}

// databaseTablesShown bounds the tables a database page lists.
const databaseTablesShown = 500

func (u *UI) databasePage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("database")
	d, err := u.Catalog.FindDatabase(r.Context(), name)
	if err != nil {
		return err
	}
	tables, err := u.Catalog.FindTables(r.Context(), catalog.TableFilter{Database: name, Limit: databaseTablesShown + 1})
	if err != nil {
		return err
	}
	p := DatabasePage{Page: u.page(r, d.Name, "catalog"), Database: d, Tables: tables}
	if len(tables) > databaseTablesShown {
		p.Tables, p.More = tables[:databaseTablesShown], true
	}
	if p.Sensitive, err = u.Catalog.HasPII(r.Context(), name, ""); err != nil {
		return err
	}
	return u.render(w, http.StatusOK, "database", p)
}
