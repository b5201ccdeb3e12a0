package ui

import (
	"net/http"
	"net/url"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// catalogPageSize is how many databases one catalog page lists.
const catalogPageSize = 25

// CatalogPage lists the catalog's databases a page at a time, or, with a
// query, the databases, tables and columns that match it.
type CatalogPage struct {
	Page
	Query string
	// Sensitive filters the listing: "" all, "yes" or "no".
	Sensitive string
	Databases []DatabaseRow
	Hits      []SearchRow
	// Next is the next page's link ("" on the last page); First is set
	// when this is not the first page.
	Next, First string
	Errors      FieldErrors
}

// DatabaseRow is one database of the listing with its sensitivity: its own
// flag or any of its tables' or columns'.
type DatabaseRow struct {
	*mesh.Database
	Sensitive bool
}

// SearchRow is one search hit with its database's sensitivity.
type SearchRow struct {
	catalog.SearchHit
	Sensitive bool
	Owner     map[string]string
}

// databaseCursor continues the listing after a database name.
type databaseCursor struct {
	After string `json:"a"`
}

func (u *UI) catalogPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := CatalogPage{Page: u.page(r, "Catalog", "catalog"), Query: q.Get("q"), Sensitive: q.Get("sensitive")}
	f := catalog.DatabaseFilter{Limit: catalogPageSize + 1}
	switch p.Sensitive {
	case "yes", "no":
		v := p.Sensitive == "yes"
		f.PII = &v
	case "":
	default:
		return mesh.Invalid("sensitive", "must be yes or no, not %q", p.Sensitive)
	}
	if p.Query != "" {
		return u.catalogSearch(w, r, p, f.PII)
	}
	if tok := q.Get("page"); tok != "" {
		var c databaseCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.After = c.After
		p.First = catalogLink(p.Sensitive, "")
	}
	ds, err := u.Catalog.FindDatabases(r.Context(), f)
	if err != nil {
		return err
	}
	if len(ds) > catalogPageSize {
		ds = ds[:catalogPageSize]
		p.Next = catalogLink(p.Sensitive, u.Pages.Encode(databaseCursor{After: ds[len(ds)-1].Name}))
	}
	for _, d := range ds {
		pii, err := u.Catalog.HasPII(r.Context(), d.Name, "")
		if err != nil {
			return err
		}
		p.Databases = append(p.Databases, DatabaseRow{Database: d, Sensitive: pii})
	}
	return u.render(w, http.StatusOK, "catalog", p)
}

func catalogLink(sensitive, page string) string {
	v := url.Values{}
	if sensitive != "" {
		v.Set("sensitive", sensitive)
	}
	if page != "" {
		v.Set("page", page)
	}
	if len(v) == 0 {
		return "/catalog"
	}
	return "/catalog?" + v.Encode()
}

// catalogSearch shows the search hits; each hit's database is looked up
// once for its owner and sensitivity. With pii set, only the hits in
// databases of that sensitivity are shown, as the listing filters them.
func (u *UI) catalogSearch(w http.ResponseWriter, r *http.Request, p CatalogPage, pii *bool) error {
	p.Title = "Search: " + p.Query
	hits, err := u.Catalog.Search(r.Context(), catalog.SearchQuery{Text: p.Query, Limit: 50})
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		return u.render(w, statusOfForm(err), "catalog", p)
	}
	type dbInfo struct {
		pii    bool
		params map[string]string
	}
	seen := map[string]dbInfo{}
	for _, h := range hits {
		info, ok := seen[h.Database]
		if !ok {
			d, err := u.Catalog.FindDatabase(r.Context(), h.Database)
			if err != nil {
				return err
			}
			pii, err := u.Catalog.HasPII(r.Context(), h.Database, "")
			if err != nil {
				return err
			}
			info = dbInfo{pii: pii, params: d.Parameters}
			seen[h.Database] = info
		}
		if pii != nil && info.pii != *pii {
			continue
		}
		p.Hits = append(p.Hits, SearchRow{SearchHit: h, Sensitive: info.pii, Owner: info.params})
	}
	return u.render(w, http.StatusOK, "catalog", p)
}
