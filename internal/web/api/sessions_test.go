package api_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// TestSessionCookieSecureWhenPublishedOverHTTPS: a server published at an
// https URL sits behind a proxy that ends TLS, so its requests come over
// plain HTTP; its session cookie, and the cookie that ends it, are Secure
// all the same.
func TestSessionCookieSecureWhenPublishedOverHTTPS(t *testing.T) {
	srv, _ := servertest.New(t, servertest.Options{Config: server.Config{PublicURL: "https://meshgate.example.com"}})
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": srv.BootstrapPassword(t)})
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == nil || !cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("login: got %d, cookie %+v; want a Secure HttpOnly session cookie", resp.StatusCode, cookie)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/logout", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || c.Name == auth.CookieName && c.MaxAge < 0 && c.Secure
	}
	if !cleared {
		t.Errorf("logout: got %d, cookies %v; want the session cookie removed, Secure", resp.StatusCode, resp.Cookies())
	}
}

func TestLoginSession(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	pw := srv.BootstrapPassword(t)

	// The cookie is HttpOnly and SameSite=Lax; not Secure over plain HTTP.
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": pw})
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: got %d, want 200", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/" || len(cookie.Value) != 43 {
		t.Fatalf("got cookie %+v, want an HttpOnly SameSite=Lax 256-bit session", cookie)
	}
	// Under TLS the cookie is Secure.
	r := httptest.NewRequest("POST", "/api/v1/login", nil)
	r.TLS = &tls.ConnectionState{}
	if c := srv.Auth.SessionCookie(r, &auth.Login{Secret: "s", Session: &mesh.Session{}}); !c.Secure {
		t.Error("got a cookie without Secure under TLS")
	}

	// A session with the temporary password may only change it.
	sess := srv.Client().WithSession()
	res, err := sess.Login(ctx, "admin", pw)
	if err != nil || !res.PasswordChangeRequired || res.User.Username != "admin" {
		t.Fatalf("got %+v (%v), want a sign-in that must change its password", res, err)
	}
	me, err := sess.Me(ctx)
	if err != nil || me.AuthenticatedBy != "session" || !me.MeshAdmin {
		t.Fatalf("me: got %+v (%v), want the mesh admin by session", me, err)
	}
	_, err = sess.ListAccounts(ctx, "", client.ListOptions{})
	wantAPIError(t, err, http.StatusForbidden, mesh.EFORBIDDEN, "")
	err = sess.ChangePassword(ctx, pw, "short")
	wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "new_password")
	err = sess.Do(ctx, "POST", "/api/v1/me/password", nil, map[string]string{"current_password": pw, "new": "x"}, nil)
	wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "new")
	if err := sess.ChangePassword(ctx, pw, "a long new password"); err != nil {
		t.Fatalf("change password: %v", err)
	}
	if _, err := sess.ListAccounts(ctx, "", client.ListOptions{}); err != nil {
		t.Fatalf("after the change: %v", err)
	}
	// The bootstrap token still works: a token is not a session.
	if _, err := admin.Me(ctx); err != nil {
		t.Fatalf("bootstrap token: %v", err)
	}
	if err := sess.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	_, err = sess.Me(ctx)
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")

	// Wrong credentials look alike; bad bodies name the field.
	for _, c := range []struct {
		body        any
		status      int
		code, field string
	}{
		{map[string]string{"username": "admin", "password": "wrong"}, 401, mesh.EUNAUTHORIZED, ""},
		{map[string]string{"username": "nobody", "password": "wrong"}, 401, mesh.EUNAUTHORIZED, ""},
		{map[string]string{"username": "admin"}, 400, mesh.EINVALID, "password"},
		{map[string]string{"password": "x"}, 400, mesh.EINVALID, "username"},
		{map[string]string{"username": "admin", "password": "x", "otp": "1"}, 400, mesh.EINVALID, "otp"},
	} {
		err := srv.Client().Do(ctx, "POST", "/api/v1/login", nil, c.body, nil)
		wantAPIError(t, err, c.status, c.code, c.field)
	}
	// Failed sign-ins are in the audit log.
	es, err := admin.ListAudit(ctx, client.AuditFilter{Action: "POST /api/v1/login", Result: mesh.EUNAUTHORIZED}, client.ListOptions{})
	if err != nil || len(es.Entries) != 2 || es.Entries[0].Principal != "anonymous" || es.Entries[0].RemoteAddr != "127.0.0.1" {
		t.Errorf("got %+v (%v), want the 2 failed sign-ins by anonymous from 127.0.0.1", es, err)
	}
}

func TestLoginRateLimited(t *testing.T) {
	ctx := context.Background()
	cfg := server.Config{Auth: auth.Options{LoginPerUserAddr: auth.Rate{Burst: 3, Every: time.Hour}}}
	srv, _ := servertest.New(t, servertest.Options{Config: cfg})
	for i := range 3 {
		err := srv.Client().Do(ctx, "POST", "/api/v1/login", nil, map[string]string{"username": "admin", "password": fmt.Sprint("wrong", i)}, nil)
		wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
	}
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": srv.BootstrapPassword(t)})
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusTooManyRequests || e.Error.Code != mesh.ERATELIMIT || resp.Header.Get("Retry-After") == "" {
		t.Errorf("got %d %s with Retry-After %q, want 429 rate_limited with Retry-After", resp.StatusCode, e.Error.Code, resp.Header.Get("Retry-After"))
	}
}

func TestTokensAPI(t *testing.T) {
	ctx := context.Background()
	clock := mesh.NewFakeClock(time.Now())
	srv, admin := servertest.New(t, servertest.Options{Clock: clock})
	tok, err := admin.CreateToken(ctx, "ci", 2*time.Hour)
	if err != nil || !strings.HasPrefix(tok.Secret, "mgt_") || tok.Token.ExpiresAt == nil {
		t.Fatalf("got %+v (%v), want an expiring mgt_ token", tok, err)
	}
	ci := srv.Client().WithToken(tok.Secret)
	me, err := ci.Me(ctx)
	if err != nil || me.AuthenticatedBy != "token" || me.User.Username != "admin" {
		t.Fatalf("got %+v (%v), want admin by token", me, err)
	}
	toks, err := admin.ListTokens(ctx)
	if err != nil || len(toks) != 2 {
		t.Fatalf("got %d tokens (%v), want bootstrap and ci", len(toks), err)
	}
	raw, _ := json.Marshal(toks)
	if strings.Contains(string(raw), tok.Secret) || strings.Contains(string(raw), srv.AdminToken) {
		t.Error("the token list shows a secret")
	}
	// Expired.
	clock.Add(2 * time.Hour)
	_, err = ci.Me(ctx)
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
	// Revoked.
	tok2, _ := admin.CreateToken(ctx, "laptop", 0)
	if err := admin.RevokeToken(ctx, tok2.Token.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	_, err = srv.Client().WithToken(tok2.Secret).Me(ctx)
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
	err = admin.RevokeToken(ctx, tok2.Token.ID)
	wantAPIError(t, err, http.StatusNotFound, mesh.ENOTFOUND, "")
	// Bad input.
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/api/v1/me/tokens", map[string]string{"name": ""}, "name"},
		{"POST", "/api/v1/me/tokens", map[string]string{"name": "x", "expires_in": "soon"}, "expires_in"},
		{"POST", "/api/v1/me/tokens", map[string]string{"name": "x", "expires_in": "-1h"}, "expires_in"},
		{"POST", "/api/v1/me/tokens", map[string]string{"name": "x", "scope": "all"}, "scope"},
		{"DELETE", "/api/v1/me/tokens/abc", nil, "token"},
	} {
		err := admin.Do(ctx, c.method, c.path, nil, c.body, nil)
		wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, c.field)
	}
}

func TestUsersAPI(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	for _, id := range []string{"111122223333", "222233334444"} {
		if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	ada, err := admin.CreateUser(ctx, "111122223333", client.UserInput{Username: "ada", Roles: []string{"admin"}})
	if err != nil || ada.TemporaryPassword == "" || !ada.User.MustChangePassword {
		t.Fatalf("got %+v (%v), want ada with a temporary password", ada, err)
	}
	issued, err := admin.IssueToken(ctx, ada.User.ID, "ada-ci", 0)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	adaC := srv.Client().WithToken(issued.Secret)
	// Ada manages her own account's users, not another's.
	bea, err := adaC.CreateUser(ctx, "111122223333", client.UserInput{Username: "bea", Roles: []string{"member"}})
	if err != nil {
		t.Fatalf("account admin creates a user: %v", err)
	}
	_, err = adaC.CreateUser(ctx, "222233334444", client.UserInput{Username: "cy", Roles: []string{"member"}})
	wantAPIError(t, err, http.StatusForbidden, mesh.EFORBIDDEN, "")
	list, err := adaC.ListUsers(ctx, "", "", client.ListOptions{})
	if err != nil || len(list.Users) != 2 {
		t.Errorf("got %+v (%v), want ada and bea", list, err)
	}
	_, err = adaC.ListUsers(ctx, "central", "", client.ListOptions{})
	wantAPIError(t, err, http.StatusForbidden, mesh.EFORBIDDEN, "")
	roles := []string{"approver", "member"}
	u, err := adaC.UpdateUser(ctx, bea.User.ID, client.UserUpdate{Roles: &roles})
	if err != nil || strings.Join(u.Roles, ",") != "approver,member" {
		t.Errorf("got %+v (%v), want bea approver and member", u, err)
	}
	// Pagination over users.
	page, err := admin.ListUsers(ctx, "", "", client.ListOptions{Limit: 2})
	if err != nil || len(page.Users) != 2 || page.NextToken == "" {
		t.Fatalf("got %+v (%v), want 2 users and a next token", page, err)
	}
	page, err = admin.ListUsers(ctx, "", "", client.ListOptions{Limit: 2, NextToken: page.NextToken})
	if err != nil || len(page.Users) != 1 || page.Users[0].Username != "bea" {
		t.Errorf("got %+v (%v), want bea on page two", page, err)
	}
	// Bad input names the field.
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code, field  string
	}{
		{"POST", "/api/v1/accounts/111122223333/users", map[string]any{"username": "x y", "roles": []string{"member"}}, 400, mesh.EINVALID, "username"},
		{"POST", "/api/v1/accounts/111122223333/users", map[string]any{"username": "xy", "roles": []string{"boss"}}, 400, mesh.EINVALID, "roles[0]"},
		{"POST", "/api/v1/accounts/111122223333/users", map[string]any{"username": "xy", "roles": []string{"member"}, "password": "p"}, 400, mesh.EINVALID, "password"},
		{"POST", "/api/v1/accounts/Bad!/users", map[string]any{"username": "xy", "roles": []string{"member"}}, 400, mesh.EINVALID, "id"},
		{"POST", "/api/v1/accounts/999999999999/users", map[string]any{"username": "xy", "roles": []string{"member"}}, 404, mesh.ENOTFOUND, ""},
		{"POST", "/api/v1/accounts/111122223333/users", map[string]any{"username": "ada", "roles": []string{"member"}}, 409, mesh.ECONFLICT, ""},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d", bea.User.ID), map[string]any{"roles": []string{}}, 400, mesh.EINVALID, "roles"},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d", bea.User.ID), map[string]any{"username": "z"}, 400, mesh.EINVALID, "username"},
		{"GET", "/api/v1/users/0", nil, 400, mesh.EINVALID, "user"},
		{"GET", "/api/v1/users?role=boss", nil, 400, mesh.EINVALID, "role"},
		{"GET", "/api/v1/users/987654", nil, 404, mesh.ENOTFOUND, ""},
	} {
		err := admin.Do(ctx, c.method, c.path, nil, c.body, nil)
		wantAPIError(t, err, c.status, c.code, c.field)
	}
	// Deleting a user ends its tokens.
	if err := admin.DeleteUser(ctx, ada.User.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = adaC.Me(ctx)
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")
}

func TestAuditAPI(t *testing.T) {
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	for i := range 5 {
		if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: fmt.Sprintf("acct-%d", i), Name: "A"}); err != nil {
			t.Fatal(err)
		}
	}
	// A rejected change is audited too.
	_, err := srv.Client().OnboardAccount(ctx, client.AccountInput{ID: "acct-x", Name: "A"})
	wantAPIError(t, err, http.StatusUnauthorized, mesh.EUNAUTHORIZED, "")

	var got []string
	f := client.AuditFilter{Action: "account.onboard", Principal: "central/admin"}
	o := client.ListOptions{Limit: 2}
	for {
		page, err := admin.ListAudit(ctx, f, o)
		if err != nil {
			t.Fatalf("audit: %v", err)
		}
		for _, e := range page.Entries {
			got = append(got, e.Resource)
		}
		if page.NextToken == "" {
			break
		}
		o.NextToken = page.NextToken
	}
	want := []string{"account/acct-4", "account/acct-3", "account/acct-2", "account/acct-1", "account/acct-0"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	rejected, err := admin.ListAudit(ctx, client.AuditFilter{Result: mesh.EUNAUTHORIZED}, client.ListOptions{})
	if err != nil || len(rejected.Entries) != 1 || rejected.Entries[0].Resource != "/api/v1/accounts" {
		t.Errorf("got %+v (%v), want the rejected onboarding", rejected, err)
	}
	future, err := admin.ListAudit(ctx, client.AuditFilter{Since: time.Now().Add(time.Hour)}, client.ListOptions{})
	if err != nil || len(future.Entries) != 0 {
		t.Errorf("got %+v (%v), want nothing after now", future, err)
	}
	for _, c := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=2026-13-01T00:00:00Z", "until"},
		{"since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"},
		{"limit=5000", "limit"},
		{"next_token=abc", "next_token"},
	} {
		err := admin.Do(ctx, "GET", "/api/v1/audit?"+c.query, nil, nil, nil)
		wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, c.field)
	}
	// Only mesh admins read the audit log.
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "S"}); err != nil {
		t.Fatal(err)
	}
	u, _ := admin.CreateUser(ctx, "111122223333", client.UserInput{Username: "ada", Roles: []string{"admin"}})
	tok, _ := admin.IssueToken(ctx, u.User.ID, "t", 0)
	_, err = srv.Client().WithToken(tok.Secret).ListAudit(ctx, client.AuditFilter{}, client.ListOptions{})
	wantAPIError(t, err, http.StatusForbidden, mesh.EFORBIDDEN, "")
}
