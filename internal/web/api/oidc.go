package api

import (
	"html/template"
	"net/http"
	"time"

	"github.com/meshgate/meshgate/internal/auth/oidc"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// registerOIDC adds sign-in through identity providers. The browser routes
// live under /auth/oidc, outside the JSON API: they answer with redirects
// and, on refusal, a short page. The callback is a GET that creates a
// session: the OpenID Connect protocol sends the browser back with a GET,
// and the state it carries (single use, bound to this browser's cookie)
// makes it safe to act on.
func registerOIDC(rt *web.Router, d *Deps) {
	rt.Handle("GET", "/api/v1/login/providers", web.Public, d.loginProviders)
	rt.Handle("POST", "/api/v1/login/oidc/{provider}/token", web.Public, d.exchangeIDToken)
	rt.Handle("GET", "/api/v1/settings/password-sign-in", web.MeshAdmin, d.passwordSignIn)
	rt.Handle("PUT", "/api/v1/settings/password-sign-in", web.MeshAdmin, d.setPasswordSignIn)
	rt.Handle("GET", "/auth/oidc/{provider}/login", web.Public, d.oidcLogin)
	rt.Handle("GET", "/auth/oidc/{provider}/callback", web.Public, d.oidcCallback)
	rt.Handle("POST", "/auth/oidc/logout", web.Authenticated, d.oidcLogout)
}

// LoginProviders tells a sign-in page and the CLI how users may sign in.
type LoginProviders struct {
	// PasswordSignIn is false when a mesh admin switched password sign-in off.
	PasswordSignIn bool                `json:"password_sign_in"`
	Providers      []oidc.ProviderInfo `json:"providers"`
}

func (d *Deps) loginProviders(w http.ResponseWriter, r *http.Request) error {
	on, err := d.Auth.PasswordSignIn(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, LoginProviders{PasswordSignIn: on, Providers: d.OIDC.Providers()})
	return nil
}

// IDTokenExchange is the body of an ID token's exchange for an API token.
type IDTokenExchange struct {
	IDToken string `json:"id_token"`
	// Name names the API token (default "sso").
	Name string `json:"name,omitempty"`
	// ExpiresIn is a Go duration such as "720h" (default 720h).
	ExpiresIn string `json:"expires_in,omitempty"`
}

func (d *Deps) exchangeIDToken(w http.ResponseWriter, r *http.Request) error {
	if d.OIDC == nil {
		return mesh.NotFound("identity provider", r.PathValue("provider"))
	}
	var in IDTokenExchange
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var ttl time.Duration
	if in.ExpiresIn != "" {
		var err error
		if ttl, err = time.ParseDuration(in.ExpiresIn); err != nil || ttl <= 0 {
			return mesh.Invalid("expires_in", "%q is not a positive duration such as 720h", in.ExpiresIn)
		}
	}
	tok, secret, err := d.OIDC.ExchangeIDToken(r.Context(), oidc.Exchange{Provider: r.PathValue("provider"), IDToken: in.IDToken,
		TokenName: in.Name, TTL: ttl, RemoteAddr: web.ClientAddr(r), RequestID: web.RequestID(r.Context())})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, NewToken{Token: tok, Secret: secret})
	return nil
}

// PasswordSignInSetting says whether users may sign in with a password.
type PasswordSignInSetting struct {
	Enabled bool `json:"enabled"`
}

func (d *Deps) passwordSignIn(w http.ResponseWriter, r *http.Request) error {
	on, err := d.Auth.PasswordSignIn(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, PasswordSignInSetting{Enabled: on})
	return nil
}

func (d *Deps) setPasswordSignIn(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Enabled *bool `json:"enabled"`
	}
	if err := web.DecodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Enabled == nil {
		return mesh.Invalid("enabled", "is required (true or false)")
	}
	if err := d.Auth.SetPasswordSignIn(r.Context(), *b.Enabled); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, PasswordSignInSetting{Enabled: *b.Enabled})
	return nil
}

func (d *Deps) oidcLogin(w http.ResponseWriter, r *http.Request) error {
	if d.OIDC == nil {
		return d.signInRefused(w, r, mesh.NotFound("identity provider", r.PathValue("provider")))
	}
	start, err := d.OIDC.Begin(r.Context(), r.PathValue("provider"), r.URL.Query().Get("return"), web.ClientAddr(r))
	if err != nil {
		return d.signInRefused(w, r, err)
	}
	http.SetCookie(w, &http.Cookie{Name: oidc.StateCookie, Value: start.State, Path: "/auth/oidc/",
		MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.Auth.CookieSecure(r)})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, start.URL, http.StatusFound)
	return nil
}

func (d *Deps) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if d.OIDC == nil {
		return d.signInRefused(w, r, mesh.NotFound("identity provider", r.PathValue("provider")))
	}
	q := r.URL.Query()
	c := oidc.Callback{Provider: r.PathValue("provider"), State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		RemoteAddr: web.ClientAddr(r), RequestID: web.RequestID(r.Context())}
	if ck, err := r.Cookie(oidc.StateCookie); err == nil {
		c.CookieState = ck.Value
	}
	// The state is used up whatever the outcome.
	http.SetCookie(w, &http.Cookie{Name: oidc.StateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.Auth.CookieSecure(r)})
	w.Header().Set("Cache-Control", "no-store")
	f, err := d.OIDC.Finish(r.Context(), c)
	if err != nil {
		return d.signInRefused(w, r, err)
	}
	http.SetCookie(w, d.Auth.SessionCookie(r, f.Login))
	http.Redirect(w, r, f.Return, http.StatusSeeOther)
	return nil
}

// oidcLogout ends the session and sends the browser to the provider's
// end-session endpoint, when the user signed in through one that has it,
// else to /.
func (d *Deps) oidcLogout(w http.ResponseWriter, r *http.Request) error {
	actor := mesh.ActorFromContext(r.Context())
	next := d.OIDC.LogoutURL(r.Context(), actor.UserID)
	if err := d.Auth.Logout(r.Context()); err != nil {
		return err
	}
	http.SetCookie(w, d.Auth.ClearCookie(r))
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in refused · meshgate</title></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p><p><a href="/">Back to meshgate</a></p></main></body></html>
`))

// signInRefused answers a browser whose sign-in failed with a page that
// says why, with the error's status: the web interface's when it is wired,
// else a plain one.
func (d *Deps) signInRefused(w http.ResponseWriter, r *http.Request, err error) error {
	if d.SignInRefused != nil {
		return d.SignInRefused(w, r, err)
	}
	status := web.StatusOf(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		return err
	}
	title := "Sign-in refused"
	if status == http.StatusServiceUnavailable {
		title = "Sign-in unavailable"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return signInPage.Execute(w, struct{ Title, Message string }{title, mesh.ErrorMessage(err)})
}
