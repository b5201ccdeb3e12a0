package ui

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/mesh"
)

// LinkPage shows one resource link's tables and, to the account's admins,
// a form per table granting it (or some of its columns) to a user.
type LinkPage struct {
	Page
	Link   *mesh.ResourceLink
	Tables []access.LinkedTable
	// Users suggest the account's users a table is granted to.
	Users UserChoices
	// Grants are one page of the account's users' grants on the linked
	// database; Next is the next page's link ("" on the last page) and
	// First is set when this is not the first page.
	Grants      []*mesh.Grant
	Next, First string
	// Here links to this page, which its forms return to.
	Here string
	// Form is what the last, failed grant form held.
	Form   GrantForm
	Errors FieldErrors
	// FormError is the failed form's message not tied to one field.
	FormError string
	// Permissions the form offers.
	Permissions []mesh.Permission
}

// GrantForm is a grant form's fields.
type GrantForm struct {
	Table       string
	User        string
	Permissions []string
	Columns     []string
}

// Has reports whether the form's list holds v (to keep boxes ticked).
func (f GrantForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// grantablePermissions are those a consumer's admin passes on to users.
var grantablePermissions = []mesh.Permission{mesh.PermSelect, mesh.PermDescribe}

func (u *UI) linkPage(w http.ResponseWriter, r *http.Request) error {
	return u.showLink(w, r, r.URL.Query(), http.StatusOK, GrantForm{Permissions: []string{string(mesh.PermSelect)}}, nil, "")
}

// linkPath is the path of the page of the link named name.
func linkPath(name string) string { return "/shared/" + name }

// showLink shows the link the request's path names, with the page of its
// grants that q's "page" names: the page's own query, or that of the page
// a form returns to.
func (u *UI) showLink(w http.ResponseWriter, r *http.Request, q url.Values, status int, form GrantForm, fe FieldErrors, msg string) error {
	p := LinkPage{Page: u.page(r, "Shared data", "shared"), Form: form, Errors: fe, Permissions: grantablePermissions}
	p.FormError = msg
	acct := p.Actor.AccountID
	links, err := u.Access.ListLinks(r.Context(), acct)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	for _, l := range links {
		if l.Name == name {
			p.Link = l
		}
	}
	if p.Link == nil {
		return mesh.NotFound("resource link", name)
	}
	p.Title = "Shared data: " + name
	p.Here = linkPath(name)
	if p.Tables, err = u.Access.LinkTables(r.Context(), acct, name); err != nil {
		return err
	}
	if fe != nil || msg != "" {
		if slices.ContainsFunc(p.Tables, func(t access.LinkedTable) bool { return t.Name == form.Table }) {
			// the table's form shows these fields; any other goes to its message
			p.Errors, p.FormError = fe.onForm(msg, "user", "principal", "permissions", "columns")
		} else {
			// no form of that table shows them (it went meanwhile)
			if fe == nil {
				fe = FieldErrors{}
			}
			if msg != "" {
				fe["table"] = msg
			}
			p.Error, p.Errors, p.FormError = fe.elsewhere("Table "+form.Table, "table"), nil, ""
		}
	}
	if p.IsAccountAdmin() {
		if p.Users, err = u.userChoices(r, acct); err != nil {
			return err
		}
		if err := u.linkGrants(r, q, &p); err != nil {
			return err
		}
	}
	return u.render(w, status, "link", p)
}

// linkGrantsPageSize is how many grants one page of a link lists.
const linkGrantsPageSize = 50

// grantCursor continues a listing of grants after a grant's id.
type grantCursor struct {
	After int64 `json:"a"`
}

// linkGrants reads the page of the link's grants that q's "page" names
// (the first without one).
func (u *UI) linkGrants(r *http.Request, q url.Values, p *LinkPage) error {
	path := linkPath(p.Link.Name)
	f := access.GrantFilter{AccountID: p.Actor.AccountID, UsersOnly: true, Database: p.Link.Database, Limit: linkGrantsPageSize}
	if tok := q.Get("page"); tok != "" {
		var c grantCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.AfterID = c.After
		p.First, p.Here = path, listLink(path, map[string]string{"page": tok})
	}
	grants, next, err := u.Access.ListGrants(r.Context(), f)
	if err != nil {
		return err
	}
	p.Grants = grants
	if next != 0 {
		p.Next = listLink(path, map[string]string{"page": u.Pages.Encode(grantCursor{After: next})})
	}
	return nil
}

func (u *UI) grantLink(w http.ResponseWriter, r *http.Request) error {
	actor := mesh.ActorFromContext(r.Context())
	f := GrantForm{Table: r.PostForm.Get("table"), User: r.PostForm.Get("user"),
		Permissions: r.PostForm["permissions"], Columns: r.PostForm["columns"]}
	path := linkPath(r.PathValue("name"))
	back := u.returnQuery(r, path)
	fail := func(err error) error {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		return refused(err, u.showLink(w, r, back, statusOfForm(err), f, fe, msg))
	}
	if f.User == "" {
		return fail(mesh.Invalid("user", "choose a user"))
	}
	perms, err := mesh.ParsePermissions("permissions", f.Permissions...)
	if err != nil {
		return fail(err)
	}
	in := access.GrantInput{
		Principal:   mesh.UserPrincipal(actor.AccountID, f.User),
		Resource:    mesh.Resource{Database: r.PathValue("name"), Table: f.Table, Columns: f.Columns},
		Permissions: perms,
	}
	if _, err := u.Access.Grant(r.Context(), in); err != nil {
		return fail(err)
	}
	return redirect(w, r, listLink(path, map[string]string{"page": back.Get("page")}), "granted")
}
