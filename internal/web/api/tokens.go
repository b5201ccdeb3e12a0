package api

import (
	"net/http"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

func registerTokens(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/me/tokens", web.Authenticated, d.listMyTokens)
	rt.Handle("POST", "/api/v1/me/tokens", web.Authenticated, d.createMyToken)
	rt.Handle("DELETE", "/api/v1/me/tokens/{token}", web.Authenticated, d.revokeMyToken)
	rt.Handle("GET", "/api/v1/users/{user}/tokens", web.Authenticated, d.listUserTokens)
	rt.Handle("POST", "/api/v1/users/{user}/tokens", web.Authenticated, d.issueUserToken)
	rt.Handle("DELETE", "/api/v1/users/{user}/tokens/{token}", web.Authenticated, d.revokeUserToken)
}

// TokenInput is the body of a token's creation.
type TokenInput struct {
	Name string `json:"name"`
	// ExpiresIn is a Go duration such as "720h"; empty for no expiry.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// NewToken carries a token's secret, shown only once.
type NewToken struct {
	Token  *mesh.Token `json:"token"`
	Secret string      `json:"secret"`
}

// TokenList lists tokens, without secrets.
type TokenList struct {
	Tokens []*mesh.Token `json:"tokens"`
}

func (d *Deps) listMyTokens(w http.ResponseWriter, r *http.Request) error {
	return d.writeTokens(w, r, 0)
}

func (d *Deps) listUserTokens(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	return d.writeTokens(w, r, id)
}

func (d *Deps) writeTokens(w http.ResponseWriter, r *http.Request, userID int64) error {
	toks, err := d.Auth.FindTokens(r.Context(), userID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, TokenList{Tokens: toks})
	return nil
}

func (d *Deps) createMyToken(w http.ResponseWriter, r *http.Request) error {
	return d.createToken(w, r, 0)
}

func (d *Deps) issueUserToken(w http.ResponseWriter, r *http.Request) error {
	id, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	return d.createToken(w, r, id)
}

func (d *Deps) createToken(w http.ResponseWriter, r *http.Request, userID int64) error {
	var in TokenInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var ttl time.Duration
	if in.ExpiresIn != "" {
		var err error
		if ttl, err = time.ParseDuration(in.ExpiresIn); err != nil || ttl <= 0 {
			return mesh.Invalid("expires_in", "must be a positive duration such as 720h, not %q", in.ExpiresIn)
		}
	}
	tok, secret, err := d.Auth.CreateToken(r.Context(), userID, in.Name, ttl)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, NewToken{Token: tok, Secret: secret})
	return nil
}

func (d *Deps) revokeMyToken(w http.ResponseWriter, r *http.Request) error {
	return d.revokeToken(w, r, 0)
}

func (d *Deps) revokeUserToken(w http.ResponseWriter, r *http.Request) error {
	user, err := identInt64(r, "user")
	if err != nil {
		return err
	}
	return d.revokeToken(w, r, user)
}

// revokeToken revokes the route's token, which must be userID's (0: the caller's).
func (d *Deps) revokeToken(w http.ResponseWriter, r *http.Request, userID int64) error {
	id, err := identInt64(r, "token")
	if err != nil {
		return err
	}
	if err := d.Auth.RevokeToken(r.Context(), userID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
