package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/web"
)

// registerIdentity adds the accounts, users, tokens and sessions routes.
func registerIdentity(rt *web.Router, d *Deps) {
	registerAccounts(rt, d)
	registerUsers(rt, d)
	registerTokens(rt, d)
	registerSessions(rt, d)
}

func registerAccounts(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/accounts", web.Authenticated, d.listAccounts)
	rt.Handle("POST", "/api/v1/accounts", web.MeshAdmin, d.onboardAccount)
	rt.Handle("GET", "/api/v1/accounts/{id}", web.Authenticated, d.getAccount)
	rt.Handle("PATCH", "/api/v1/accounts/{id}", web.Authenticated, d.updateAccount)
	rt.Handle("DELETE", "/api/v1/accounts/{id}", web.MeshAdmin, d.offboardAccount)
}

// AccountList is a page of accounts.
type AccountList struct {
	Accounts  []*mesh.Account `json:"accounts"`
	NextToken string          `json:"next_token,omitempty"`
}

type accountCursor struct {
	After string `json:"a"`
}

func (d *Deps) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := identLimit(q.Get("limit"), 100, account.MaxPage)
	if err != nil {
		return err
	}
	f := store.AccountFilter{Organization: q.Get("organization"), Limit: limit}
	var c accountCursor
	if err := d.readCursor(r, &c); err != nil {
		return err
	}
	f.AfterID = c.After
	as, err := d.Accounts.FindAccounts(r.Context(), f)
	if err != nil {
		return err
	}
	out := AccountList{Accounts: as}
	if len(as) == limit {
		out.NextToken = d.Pages.Encode(accountCursor{After: as[len(as)-1].ID})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// AccountInput is the body of an onboarding.
type AccountInput struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Email        string `json:"email,omitempty"`
	// Reonboard allows an id that was offboarded before; the new account
	// inherits nothing of the old one.
	Reonboard bool `json:"reonboard,omitempty"`
}

func (d *Deps) onboardAccount(w http.ResponseWriter, r *http.Request) error {
	var in AccountInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a := &mesh.Account{ID: in.ID, Name: in.Name, Organization: in.Organization, Email: in.Email}
	if err := d.Accounts.Onboard(r.Context(), a, account.OnboardOptions{Reonboard: in.Reonboard}); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, a)
	return nil
}

// accountID reads and checks the {id} path segment.
func accountID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if err := mesh.ValidateAccountID("id", id); err != nil {
		return "", err
	}
	return id, nil
}

func (d *Deps) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	a, err := d.Accounts.FindAccountByID(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (d *Deps) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	var upd account.Update
	if err := web.DecodeJSON(w, r, &upd); err != nil {
		return err
	}
	a, err := d.Accounts.UpdateAccount(r.Context(), id, upd)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (d *Deps) offboardAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := accountID(r)
	if err != nil {
		return err
	}
	force, err := identBool(r, "force")
	if err != nil {
		return err
	}
	opts := account.OffboardOptions{Force: force, TransferTo: r.URL.Query().Get("transfer_to")}
	res, err := d.Accounts.OffboardAccount(r.Context(), id, opts)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

// readCursor decodes the request's next_token into the cursor c, which stays
// zero (the first page) when there is none.
func (d *Deps) readCursor(r *http.Request, c any) error {
	tok := r.URL.Query().Get("next_token")
	if tok == "" {
		return nil
	}
	return d.Pages.Decode("next_token", tok, c)
}

// identLimit parses a page size from 1 to max, def when empty.
func identLimit(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, mesh.Invalid("limit", "must be a number from 1 to %d", max)
	}
	return n, nil
}

// identBefore parses a list's before parameter, the id of what the next
// page starts after (a request, a delivery, a message); 0 when empty.
func identBefore(s, what string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, mesh.Invalid("before", "must be a positive %s id, not %q", what, s)
	}
	return n, nil
}

// accountParam reads the account a list is filtered by ("" for none).
func accountParam(r *http.Request) (string, error) {
	acct := r.URL.Query().Get("account")
	if acct == "" {
		return "", nil
	}
	return acct, mesh.ValidateAccountID("account", acct)
}

// identBool parses a boolean query parameter; empty is false.
func identBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, mesh.Invalid(name, "must be true or false, not %q", s)
	}
	return b, nil
}

// identTime parses an RFC 3339 time query parameter; empty is the zero time.
func identTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, mesh.Invalid(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", s)
	}
	return t.UTC(), nil
}

// identInt64 parses a positive id path segment.
func identInt64(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, mesh.Invalid(name, "must be a positive number, not %q", s)
	}
	return n, nil
}
