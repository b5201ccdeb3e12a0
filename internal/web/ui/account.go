package ui

import (
	"net/http"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/mesh"
)

// AccountPage shows an account and what offboarding it would affect, with
// the form that offboards it.
type AccountPage struct {
	Page
	Account *mesh.Account
	Central bool
	Impact  *account.Offboarding
}

func (u *UI) accountPage(w http.ResponseWriter, r *http.Request) error {
	return u.showAccount(w, r, http.StatusOK, "")
}

func (u *UI) showAccount(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	a, err := u.Accounts.FindAccountByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := AccountPage{Page: u.page(r, "Account "+a.Name, "accounts"), Account: a, Central: a.ID == u.Accounts.CentralAccountID()}
	p.Error = msg
	if !p.Central {
		if p.Impact, err = u.Accounts.OffboardImpact(r.Context(), a.ID); err != nil {
			return err
		}
	}
	return u.render(w, status, "account", p)
}

func (u *UI) offboardAccount(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if r.PostForm.Get("confirm") != id {
		unconfirmed := mesh.Invalid("confirm", "type the account's id to confirm the offboarding")
		return refused(unconfirmed, u.showAccount(w, r, statusOfForm(unconfirmed), "Type the account's id to confirm the offboarding."))
	}
	if _, err := u.Accounts.OffboardAccount(r.Context(), id, account.OffboardOptions{Force: r.PostForm.Get("force") == "yes"}); err != nil {
		_, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		if msg == "" {
			msg = mesh.ErrorMessage(err)
		}
		return refused(err, u.showAccount(w, r, statusOfForm(err), msg))
	}
	return redirect(w, r, "/admin/accounts", "offboarded")
}
