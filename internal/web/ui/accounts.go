package ui

import (
	"net/http"
	"net/url"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// accountsPageSize is how many accounts one page lists.
const accountsPageSize = 50

// AccountsPage lists the mesh's accounts a page at a time, by id, and
// onboards new ones (mesh admins).
type AccountsPage struct {
	Page
	Accounts []*mesh.Account
	// Next is the next page's link ("" on the last page); First is set
	// when this is not the first page.
	Next, First string
	// Here links to this page, which its form returns to.
	Here   string
	Form   mesh.Account
	Errors FieldErrors
}

// accountCursor continues the listing after an account's id.
type accountCursor struct {
	After string `json:"a"`
}

func (u *UI) accountsPage(w http.ResponseWriter, r *http.Request) error {
	return u.showAccounts(w, r, r.URL.Query(), http.StatusOK, AccountsPage{Page: u.page(r, "Accounts", "accounts")})
}

// accountsPath is the accounts list's path.
const accountsPath = "/admin/accounts"

// showAccounts lists the page of accounts q's "page" names (the first
// without one): the page's own query, or that of the page a form returns
// to.
func (u *UI) showAccounts(w http.ResponseWriter, r *http.Request, q url.Values, status int, p AccountsPage) error {
	f := store.AccountFilter{Limit: accountsPageSize + 1}
	p.Here = accountsPath
	if tok := q.Get("page"); tok != "" {
		var c accountCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.AfterID = c.After
		p.First, p.Here = accountsPath, listLink(accountsPath, map[string]string{"page": tok})
	}
	accts, err := u.Accounts.FindAccounts(r.Context(), f)
	if err != nil {
		return err
	}
	if len(accts) > accountsPageSize {
		accts = accts[:accountsPageSize]
		p.Next = listLink(accountsPath, map[string]string{"page": u.Pages.Encode(accountCursor{After: accts[accountsPageSize-1].ID})})
	}
	p.Accounts = accts
	return u.render(w, status, "accounts", p)
}

func (u *UI) onboardAccount(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	a := mesh.Account{ID: f.Get("id"), Name: f.Get("name"), Organization: f.Get("organization"), Email: f.Get("email")}
	form := a
	if err := u.Accounts.CreateAccount(r.Context(), &a); err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p := AccountsPage{Page: u.page(r, "Accounts", "accounts"), Form: form, Errors: fe}
		p.Error = msg
		return refused(err, u.showAccounts(w, r, u.returnQuery(r, accountsPath), statusOfForm(err), p))
	}
	return redirect(w, r, "/admin/accounts/"+a.ID, "onboarded")
}
