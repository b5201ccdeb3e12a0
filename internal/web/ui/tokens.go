package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TokensPage lists the user's API tokens; right after a creation it shows
// the new token's secret, once.
type TokensPage struct {
	Page
	Tokens []*mesh.Token
	// Secret is the token just created; it is never shown again.
	Secret   string
	Created  *mesh.Token
	Name     string
	Expiry   string
	Errors   FieldErrors
	Expiries []Choice
}

// Choice is an option of a select.
type Choice struct{ Value, Label string }

// tokenExpiries are the lifetimes the form offers.
var tokenExpiries = []Choice{{"720h", "30 days"}, {"2160h", "90 days"}, {"8760h", "1 year"}, {"", "Never"}}

func (u *UI) tokensPage(w http.ResponseWriter, r *http.Request) error {
	p := TokensPage{Page: u.page(r, "API tokens", "tokens"), Expiry: "720h"}
	return u.showTokens(w, r, http.StatusOK, p)
}

func (u *UI) showTokens(w http.ResponseWriter, r *http.Request, status int, p TokensPage) error {
	toks, err := u.Auth.FindTokens(r.Context(), 0)
	if err != nil {
		return err
	}
	p.Tokens, p.Expiries = toks, tokenExpiries
	return u.render(w, status, "tokens", p)
}

func (u *UI) createToken(w http.ResponseWriter, r *http.Request) error {
	p := TokensPage{Page: u.page(r, "API tokens", "tokens"), Name: r.PostForm.Get("name"), Expiry: r.PostForm.Get("expires_in")}
	var ttl time.Duration
	if p.Expiry != "" {
		d, err := time.ParseDuration(p.Expiry)
		if err != nil || d <= 0 {
			bad := mesh.Invalid("expires_in", "choose one of the offered lifetimes")
			p.Errors = FieldErrors{"expires_in": bad.Message}
			return refused(bad, u.showTokens(w, r, statusOfForm(bad), p))
		}
		ttl = d
	}
	tok, secret, err := u.Auth.CreateToken(r.Context(), 0, p.Name, ttl)
	if err != nil {
		fe, msg, ferr := formFailure(err)
		if ferr != nil {
			return ferr
		}
		p.Errors, p.Error = fe, msg
		return refused(err, u.showTokens(w, r, statusOfForm(err), p))
	}
	// The secret is shown in this response only: no redirect, no storage.
	p.Secret, p.Created, p.Name = secret, tok, ""
	return u.showTokens(w, r, http.StatusCreated, p)
}

func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("token"), 10, 64)
	if err != nil || id <= 0 {
		return mesh.Invalid("token", "token id %q must be a positive number", r.PathValue("token"))
	}
	if err := u.Auth.RevokeToken(r.Context(), 0, id); err != nil {
		return err
	}
	return redirect(w, r, "/tokens", "revoked")
}
