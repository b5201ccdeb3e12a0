package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// AccountsPage lists the mesh's accounts and onboards new ones (mesh admins).
type AccountsPage struct {
	Page
	Accounts []*mesh.Account
	Form     mesh.Account
	Errors   FieldErrors
}

func (u *UI) accountsPage(w http.ResponseWriter, r *http.Request) error {
	return u.showAccounts(w, r, http.StatusOK, AccountsPage{Page: u.page(r, "Accounts", "accounts")})
}

func (u *UI) showAccounts(w http.ResponseWriter, r *http.Request, status int, p AccountsPage) error {
	accts, err := u.Accounts.FindAccounts(r.Context(), store.AccountFilter{Limit: 1000})
	if err != nil {
		return err
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
		return u.showAccounts(w, r, statusOfForm(err), p)
	}
	return redirect(w, r, "/admin/accounts/"+a.ID, "onboarded")
}
