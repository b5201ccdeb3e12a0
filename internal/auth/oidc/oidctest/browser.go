package oidctest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Browser is an HTTP client with cookies that follows redirects one at a
// time, as a browser would, and signs in at the provider's login form.
type Browser struct {
	HTTP *http.Client
	// FetchStop makes SignIn request the stop URL too (a server that
	// answers there); without it SignIn returns its URL unrequested.
	FetchStop bool
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// SignIn goes to start and follows redirects, signing in at p's login form
// as username, until it reaches a URL under stop (or a response that is no
// redirect). It returns the response there (nil unless FetchStop), its URL
// and its body.
func (b *Browser) SignIn(t testing.TB, p *Provider, start, username, stop string) (*http.Response, string, string) {
	t.Helper()
	next := start
	for range 20 {
		if strings.HasPrefix(next, stop) && !b.FetchStop {
			return nil, next, ""
		}
		resp, err := b.HTTP.Get(next)
		if err != nil {
			t.Fatalf("GET %s: %v", next, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u, _ := url.Parse(next)
		if strings.HasPrefix(next, stop) || resp.StatusCode < 300 || resp.StatusCode >= 400 {
			if strings.HasPrefix(u.Path, "/login/username") {
				resp = b.postLogin(t, p, u.Query().Get("authRequestID"), username)
				next = resp.Request.URL.ResolveReference(mustLocation(t, resp)).String()
				continue
			}
			return resp, next, string(body)
		}
		next = u.ResolveReference(mustLocation(t, resp)).String()
	}
	t.Fatalf("too many redirects from %s", start)
	return nil, "", ""
}

func (b *Browser) postLogin(t testing.TB, p *Provider, id, username string) *http.Response {
	t.Helper()
	resp, err := b.HTTP.PostForm(p.Issuer+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {Password}})
	if err != nil {
		t.Fatalf("sign in at the provider: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign in at the provider as %s: got status %d, want 302", username, resp.StatusCode)
	}
	return resp
}

func mustLocation(t testing.TB, resp *http.Response) *url.URL {
	t.Helper()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s answered %d without a Location", resp.Request.URL, resp.StatusCode)
	}
	return loc
}

// Tokens runs the code flow with PKCE for a client at p as username, as
// another application would, and returns the provider's tokens (the ID
// token in Extra("id_token")). The redirect URI is never contacted.
func (p *Provider) Tokens(t testing.TB, clientID, secret, redirect, username string, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	ctx := context.Background()
	cfg := &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/oauth/token"},
		Scopes:   []string{"openid", "profile", "email"}}
	verifier := oauth2.GenerateVerifier()
	start := cfg.AuthCodeURL("some-state", append(opts, oauth2.S256ChallengeOption(verifier))...)
	_, at, body := NewBrowser().SignIn(t, p, start, username, redirect)
	u, _ := url.Parse(at)
	code := u.Query().Get("code")
	if code == "" {
		t.Fatalf("no code at %s: %s", at, body)
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the code: %v", err)
	}
	if _, ok := tok.Extra("id_token").(string); !ok {
		t.Fatal(fmt.Errorf("no id_token in the provider's answer"))
	}
	return tok
}
