package ui

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
)

// usersPageSize is how many users one page lists.
const usersPageSize = 50

// UsersPage lists an account's users a page at a time (any account's for
// mesh admins, the own account's for its admins), creates users with a
// temporary password, changes roles and removes users.
type UsersPage struct {
	Page
	// Account is the account listed; mesh admins choose it.
	Account string
	// Accounts suggest the accounts a mesh admin may choose.
	Accounts AccountChoices
	Users    []*mesh.User
	// Next is the next page's link ("" on the last page); First is set
	// when this is not the first page.
	Next, First string
	// Here links to this page, which its forms return to.
	Here   string
	Roles  []string
	Form   auth.NewUser
	Errors FieldErrors
	// Created and Password are the user just created and its temporary
	// password, shown once.
	Created  *mesh.User
	Password string
	// Failed is the user whose roles form failed.
	Failed int64
}

// HasRole reports whether roles holds role (to keep boxes ticked).
func (p UsersPage) HasRole(roles []string, role string) bool { return slices.Contains(roles, role) }

func (u *UI) usersPage(w http.ResponseWriter, r *http.Request) error {
	p := u.newUsersPage(r, r.URL.Query().Get("account"))
	if err := u.knownAccount(r, p.Account); err != nil {
		return err
	}
	p.Form.Roles = []string{mesh.RoleMember}
	return u.showUsers(w, r, r.URL.Query(), http.StatusOK, p)
}

// knownAccount is ENOTFOUND for an account a mesh admin's page names that
// is not onboarded (a stale link, a typo), which would show as one with
// nothing in it. Other users' pages show their own account.
func (u *UI) knownAccount(r *http.Request, id string) error {
	if a := mesh.ActorFromContext(r.Context()); id == "" || !a.IsMeshAdmin() || id == a.AccountID {
		return nil
	}
	_, err := u.Accounts.FindAccountByID(r.Context(), id)
	return err
}

func (u *UI) newUsersPage(r *http.Request, account string) UsersPage {
	p := UsersPage{Page: u.page(r, "Users", "users"), Account: account, Roles: mesh.Roles}
	if p.Account == "" || !p.IsMeshAdmin() {
		p.Account = p.Actor.AccountID
	}
	p.Form.AccountID = p.Account
	return p
}

// userCursor continues the listing after a user's id.
type userCursor struct {
	After int64 `json:"a"`
}

// showUsers lists the page of users q's "page" names (the first without
// one): the page's own query, or that of the page a form returns to.
func (u *UI) showUsers(w http.ResponseWriter, r *http.Request, q url.Values, status int, p UsersPage) error {
	var err error
	if p.IsMeshAdmin() {
		if p.Accounts, err = u.accountChoices(r); err != nil {
			return err
		}
	}
	f := store.UserFilter{AccountID: p.Account, Limit: usersPageSize + 1}
	filter := map[string]string{"account": p.Account}
	p.Here = usersLink(p.Account, "")
	if tok := q.Get("page"); tok != "" {
		var c userCursor
		if err := u.Pages.Decode("page", tok, &c); err != nil {
			return err
		}
		f.AfterID = c.After
		p.First, p.Here = p.Here, usersLink(p.Account, tok)
	}
	if p.Users, err = u.Auth.FindUsers(r.Context(), f); err != nil {
		return err
	}
	if len(p.Users) > usersPageSize {
		p.Users = p.Users[:usersPageSize]
		filter["page"] = u.Pages.Encode(userCursor{After: p.Users[usersPageSize-1].ID})
		p.Next = listLink(usersPath, filter)
	}
	p.Title = "Users of " + p.Account
	return u.render(w, status, "users", p)
}

func (u *UI) createUser(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := u.newUsersPage(r, f.Get("account_id"))
	p.Form = auth.NewUser{AccountID: p.Account, Username: f.Get("username"), Email: f.Get("email"), Roles: f["roles"]}
	user, password, err := u.Auth.CreateUser(r.Context(), p.Form)
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		// the API names the account in its path; this page's path does not
		return refused(web.WithAuditNote(err, "account "+web.QuoteForAudit(p.Account)), u.showUsers(w, r, u.returnQuery(r, usersPath), statusOfForm(err), p))
	}
	// The temporary password is shown in this response only.
	p.Created, p.Password = user, password
	p.Form = auth.NewUser{AccountID: p.Account, Roles: []string{mesh.RoleMember}}
	return u.showUsers(w, r, u.returnQuery(r, usersPath), http.StatusCreated, p)
}

func (u *UI) updateRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	roles := r.PostForm["roles"]
	if roles == nil {
		roles = []string{}
	}
	back := u.returnQuery(r, usersPath)
	user, err := u.Auth.UpdateUser(r.Context(), id, auth.UserUpdate{Roles: &roles})
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p := u.newUsersPage(r, r.PostForm.Get("account_id"))
		p.Failed, p.Errors, p.Error = id, fe, msg
		if fe != nil {
			p.Error = fe[firstKey(fe)]
		}
		return refused(err, u.showUsers(w, r, back, statusOfForm(err), p))
	}
	return redirect(w, r, usersLink(user.AccountID, back.Get("page")), "roles")
}

// UserDeletePage asks before a user is removed.
type UserDeletePage struct {
	Page
	User *mesh.User
	// Back is the page of users the removal was asked from, which the
	// page links back to and its form returns to.
	Back string
}

func (u *UI) deleteUserPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	user, err := u.Auth.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	back := usersLink(user.AccountID, u.returnQuery(r, usersPath).Get("page"))
	return u.render(w, http.StatusOK, "user_delete", UserDeletePage{Page: u.page(r, "Remove "+user.Username, "users"), User: user, Back: back})
}

func (u *UI) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	user, err := u.Auth.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	back := u.returnQuery(r, usersPath)
	if err := u.Auth.DeleteUser(r.Context(), id); err != nil {
		_, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p := u.newUsersPage(r, user.AccountID)
		p.Failed, p.Error = id, msg
		return refused(err, u.showUsers(w, r, back, statusOfForm(err), p))
	}
	return redirect(w, r, usersLink(user.AccountID, back.Get("page")), "removed")
}

// usersPath is the users list's path.
const usersPath = "/admin/users"

// usersLink links to the page of account's users that page names (the
// first for "").
func usersLink(account, page string) string {
	return listLink(usersPath, map[string]string{"account": account, "page": page})
}

func firstKey(m FieldErrors) string {
	for k := range m {
		return k
	}
	return ""
}
