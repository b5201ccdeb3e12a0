package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const bootstrapToken = "bootstrap-token-0123456789"

// fixture is an auth service on a fresh store with the central account,
// account 111122223333, and the bootstrap admin.
type fixture struct {
	svc   *auth.Service
	store store.Store
	clock *mesh.FakeClock
	admin context.Context // acting as the bootstrap mesh admin
	boot  *auth.Bootstrap
	dir   string
}

func newFixture(t testing.TB, s store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := mesh.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, id := range []string{"central", "111122223333", "222233334444"} {
			if err := tx.CreateAccount(ctx, &mesh.Account{ID: id, Name: id, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("accounts: %v", err)
	}
	f := &fixture{store: s, clock: clock, dir: t.TempDir(),
		svc: auth.NewService(s, clock, auth.Options{Argon2: auth.TestArgon2})}
	if f.boot, err = f.svc.Bootstrap(ctx, f.dir, bootstrapToken); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	actor, err := f.svc.AuthenticateToken(ctx, bootstrapToken)
	if err != nil {
		t.Fatalf("bootstrap token: %v", err)
	}
	f.admin = mesh.NewContext(ctx, actor)
	return f
}

// createUser creates a user as the mesh admin and returns it with its temporary password.
func (f *fixture) createUser(t *testing.T, account, username string, roles ...string) (*mesh.User, string) {
	t.Helper()
	u, pw, err := f.svc.CreateUser(f.admin, auth.NewUser{AccountID: account, Username: username, Roles: roles})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u, pw
}

// as returns a context acting as the user, signed in with a token.
func (f *fixture) as(t *testing.T, u *mesh.User) context.Context {
	t.Helper()
	_, secret, err := f.svc.CreateToken(f.admin, u.ID, "test", 0)
	if err != nil {
		t.Fatalf("token for %s: %v", u.Username, err)
	}
	actor, err := f.svc.AuthenticateToken(context.Background(), secret)
	if err != nil {
		t.Fatalf("authenticate %s: %v", u.Username, err)
	}
	return mesh.NewContext(context.Background(), actor)
}

// request returns a request for method and path carrying the session cookie.
func request(method, path, session string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	if session != "" {
		r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: session})
	}
	return r
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" && err != nil || code != "" && !mesh.IsCode(err, code) {
		t.Fatalf("got %v, want %q", err, code)
	}
}

func TestBootstrap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		if !f.boot.Created || f.boot.Username != "admin" || len(f.boot.Password) < 16 {
			t.Fatalf("got %+v, want admin created with a temporary password", f.boot)
		}
		fi, err := os.Stat(filepath.Join(f.dir, auth.BootstrapFile))
		if err != nil {
			t.Fatalf("bootstrap file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("got mode %v, want 0600", fi.Mode().Perm())
		}
		b, _ := os.ReadFile(filepath.Join(f.dir, auth.BootstrapFile))
		if !strings.Contains(string(b), "password: "+f.boot.Password) {
			t.Errorf("got file %q, want the password in it", b)
		}
		actor := mesh.ActorFromContext(f.admin)
		if !actor.IsMeshAdmin() || actor.Username != "admin" || actor.TokenID == 0 {
			t.Errorf("got %+v, want the bootstrap token to act as mesh admin", actor)
		}
		// A second start changes nothing.
		again, err := f.svc.Bootstrap(context.Background(), f.dir, "another-token-0123456789")
		if err != nil || again.Created {
			t.Fatalf("got %+v (%v), want nothing created on a store with users", again, err)
		}
		if _, err := f.svc.AuthenticateToken(context.Background(), "another-token-0123456789"); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("a bootstrap token given to a used store: got %v, want unauthorized", err)
		}
		// The temporary password signs in, with a change required.
		l, err := f.svc.Login(context.Background(), auth.Credentials{Username: "admin", Password: f.boot.Password, RemoteAddr: "127.0.0.1"})
		if err != nil || !l.User.MustChangePassword {
			t.Fatalf("got %+v (%v), want a session that must change its password", l, err)
		}
	})
}

func TestTemporaryPasswordMustBeChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		u, pw := f.createUser(t, "111122223333", "kim", mesh.RoleMember)
		l, err := f.svc.Login(ctx, auth.Credentials{Username: "kim", Password: pw, RemoteAddr: "10.0.0.2"})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if !l.User.MustChangePassword || l.User.ID != u.ID || l.User.LastLoginAt == nil {
			t.Errorf("got %+v, want kim with a password to change and a last login", l.User)
		}
		tests := []struct {
			method, path string
			want         string
		}{
			{"GET", "/api/v1/accounts", mesh.EFORBIDDEN},
			{"POST", "/api/v1/me/tokens", mesh.EFORBIDDEN},
			{"GET", "/api/v1/me", ""},
			{"POST", "/api/v1/me/password", ""},
			{"POST", "/api/v1/logout", ""},
		}
		for _, tt := range tests {
			actor, err := f.svc.Authenticate(ctx, request(tt.method, tt.path, l.Secret))
			if tt.want != "" {
				if !mesh.IsCode(err, tt.want) {
					t.Errorf("%s %s before the change: got %v, want %s", tt.method, tt.path, err, tt.want)
				}
				continue
			}
			if err != nil || actor == nil || actor.SessionID != l.Session.ID {
				t.Errorf("%s %s before the change: got %+v, %v; want kim's session", tt.method, tt.path, actor, err)
			}
		}
		actor, _ := f.svc.Authenticate(ctx, request("POST", "/api/v1/me/password", l.Secret))
		kim := mesh.NewContext(ctx, actor)
		for _, bad := range []struct {
			current, next, code, field string
		}{
			{"wrong", "a new long password", mesh.EUNAUTHORIZED, ""},
			{pw, "short", mesh.EINVALID, "new_password"},
			{pw, pw, mesh.EINVALID, "new_password"},
			{"", "a new long password", mesh.EINVALID, "current_password"},
		} {
			err := f.svc.ChangePassword(kim, bad.current, bad.next)
			if !mesh.IsCode(err, bad.code) || bad.field != "" && err.(*mesh.Error).Field != bad.field {
				t.Errorf("change %q→%q: got %v, want %s %s", bad.current, bad.next, err, bad.code, bad.field)
			}
		}
		if err := f.svc.ChangePassword(kim, pw, "a new long password"); err != nil {
			t.Fatalf("change password: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/accounts", l.Secret)); err != nil {
			t.Errorf("after the change: got %v, want the session to reach every route", err)
		}
		if _, err := f.svc.Login(ctx, auth.Credentials{Username: "kim", Password: pw, RemoteAddr: "10.0.0.2"}); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("old password: got %v, want unauthorized", err)
		}
		l2, err := f.svc.Login(ctx, auth.Credentials{Username: "kim", Password: "a new long password", RemoteAddr: "10.0.0.2"})
		if err != nil || l2.User.MustChangePassword {
			t.Fatalf("new password: got %+v (%v), want a normal session", l2, err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		_, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		sam := mesh.NewContext(ctx, mustSession(t, f, "sam", pw))
		if err := f.svc.ChangePassword(sam, pw, "a new long password"); err != nil {
			t.Fatal(err)
		}
		login := func() *auth.Login {
			l, err := f.svc.Login(ctx, auth.Credentials{Username: "sam", Password: "a new long password", RemoteAddr: "10.0.0.3"})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			return l
		}
		use := func(l *auth.Login) error {
			_, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/accounts", l.Secret))
			return err
		}

		// Idle: unused for 12 hours ends the session.
		l := login()
		f.clock.Add(12*time.Hour - time.Second)
		wantCode(t, use(l), "")
		f.clock.Add(12*time.Hour - time.Second)
		wantCode(t, use(l), "")
		f.clock.Add(12 * time.Hour)
		wantCode(t, use(l), mesh.EUNAUTHORIZED)
		// Once expired, it stays gone.
		f.clock.Add(-time.Hour)
		wantCode(t, use(l), mesh.EUNAUTHORIZED)
		f.clock.Add(time.Hour)

		// Absolute: after 7 days, even a session in use ends.
		l = login()
		for range 15 { // 15 × 11h = 6d21h
			f.clock.Add(11 * time.Hour)
			wantCode(t, use(l), "")
		}
		f.clock.Add(3 * time.Hour)
		wantCode(t, use(l), mesh.EUNAUTHORIZED)

		// The reaper removes the sessions that ended without a sign-out.
		if n, err := f.svc.ReapSessions(ctx); err != nil || n != 1 {
			t.Errorf("reap: got %d, %v; want the 1 session left unused (the others went when used)", n, err)
		}

		// Logout ends it at once.
		l = login()
		actor, err := f.svc.Authenticate(ctx, request("POST", "/api/v1/logout", l.Secret))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(mesh.NewContext(ctx, actor)); err != nil {
			t.Fatalf("logout: %v", err)
		}
		wantCode(t, use(l), mesh.EUNAUTHORIZED)
		// Unknown and malformed cookies.
		wantCode(t, use(&auth.Login{Secret: "not-a-session"}), mesh.EUNAUTHORIZED)
		if a, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/accounts", "")); a != nil || err != nil {
			t.Errorf("no credentials: got %v, %v; want nil, nil", a, err)
		}
	})
}

// mustSession signs in and returns the session's actor.
func mustSession(t *testing.T, f *fixture, username, password string) *mesh.Actor {
	t.Helper()
	l, err := f.svc.Login(context.Background(), auth.Credentials{Username: username, Password: password, RemoteAddr: "10.9.9.9"})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	actor, err := f.svc.Authenticate(context.Background(), request("POST", "/api/v1/me/password", l.Secret))
	if err != nil {
		t.Fatalf("session of %s: %v", username, err)
	}
	return actor
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		sam, _ := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		lee, _ := f.createUser(t, "222233334444", "lee", mesh.RoleAdmin)
		samCtx := f.as(t, sam)

		tok, secret, err := f.svc.CreateToken(samCtx, 0, "ci", time.Hour)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) != len(auth.TokenPrefix)+43 || !strings.HasPrefix(secret, tok.Prefix) {
			t.Errorf("got secret %q prefix %q, want mgt_ and 43 base64url characters starting with the prefix", secret, tok.Prefix)
		}
		bearer := func(v string) error {
			r := httptest.NewRequest("GET", "/api/v1/accounts", nil)
			r.Header.Set("Authorization", v)
			a, err := f.svc.Authenticate(ctx, r)
			if err == nil && (a.UserID != sam.ID || a.TokenID == 0 || a.CentralAccountID != "central" || a.AccountID != "111122223333") {
				t.Errorf("got %+v, want sam's token", a)
			}
			return err
		}
		wantCode(t, bearer("Bearer "+secret), "")
		wantCode(t, bearer("bearer "+secret), "")
		if a, _ := f.svc.AuthenticateToken(ctx, secret); a == nil || a.TokenID != tok.ID {
			t.Errorf("got %+v, want the actor to carry token %d", a, tok.ID)
		}
		for _, bad := range []string{"Bearer", "Bearer ", "Basic abc", "Bearer mgt_unknown", "Bearer " + strings.Repeat("x", 600)} {
			if err := bearer(bad); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
				t.Errorf("Authorization %.30q: got %v, want unauthorized", bad, err)
			}
		}
		// The list shows the token and its last use, never the secret.
		toks, err := f.svc.FindTokens(samCtx, 0)
		if err != nil || len(toks) != 2 {
			t.Fatalf("got %d tokens (%v), want test and ci", len(toks), err)
		}
		if toks[1].Name != "ci" || toks[1].LastUsedAt == nil || toks[1].ExpiresAt == nil {
			t.Errorf("got %+v, want ci with a last use and an expiry", toks[1])
		}
		// Expiry.
		f.clock.Add(time.Hour)
		wantCode(t, bearer("Bearer "+secret), mesh.EUNAUTHORIZED)
		// Another account's admin neither sees nor revokes sam's tokens.
		leeCtx := f.as(t, lee)
		_, err = f.svc.FindTokens(leeCtx, sam.ID)
		wantCode(t, err, mesh.ENOTFOUND)
		wantCode(t, f.svc.RevokeToken(leeCtx, sam.ID, tok.ID), mesh.ENOTFOUND)
		wantCode(t, f.svc.RevokeToken(leeCtx, 0, tok.ID), mesh.ENOTFOUND)
		// The mesh admin issues one for sam; sam revokes it.
		issued, secret2, err := f.svc.CreateToken(f.admin, sam.ID, "issued", 0)
		if err != nil || issued.UserID != sam.ID {
			t.Fatalf("issue: got %+v (%v), want a token of sam", issued, err)
		}
		wantCode(t, bearer("Bearer "+secret2), "")
		wantCode(t, f.svc.RevokeToken(samCtx, 0, issued.ID), "")
		wantCode(t, bearer("Bearer "+secret2), mesh.EUNAUTHORIZED)
		wantCode(t, f.svc.RevokeToken(samCtx, 0, issued.ID), mesh.ENOTFOUND)
		// Bad input.
		_, _, err = f.svc.CreateToken(samCtx, 0, "", 0)
		wantCode(t, err, mesh.EINVALID)
		_, _, err = f.svc.CreateToken(samCtx, 0, "x", -time.Hour)
		wantCode(t, err, mesh.EINVALID)
		// A member cannot issue tokens for others.
		_, _, err = f.svc.CreateToken(samCtx, lee.ID, "x", 0)
		wantCode(t, err, mesh.ENOTFOUND)
	})
}

func TestLoginRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		_, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		_, kimPW := f.createUser(t, "111122223333", "kim", mesh.RoleMember)
		var waits []time.Duration
		svc := auth.NewService(s, f.clock, auth.Options{Argon2: auth.TestArgon2,
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
		login := func(user, pass, addr string) error {
			waits = nil
			_, err := svc.Login(ctx, auth.Credentials{Username: user, Password: pass, RemoteAddr: addr})
			return err
		}
		wantWait := func(step string, want time.Duration) {
			t.Helper()
			var got time.Duration
			for _, w := range waits {
				got += w
			}
			if got != want {
				t.Errorf("%s: got a wait of %v, want %v", step, got, want)
			}
		}
		// An attack on sam from one address: 5 failures as they come, then
		// slower and slower answers, at most 2s.
		for i, want := range []time.Duration{0, 0, 0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second} {
			if err := login("sam", "wrong", "10.0.0.1"); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
				t.Fatalf("attempt %d: got %v, want unauthorized", i, err)
			}
			wantWait(fmt.Sprint("attempt ", i), want)
		}
		// That address has used sam's budget: refused, even the right password.
		wantCode(t, login("sam", pw, "10.0.0.1"), mesh.ERATELIMIT)
		// The rightful user, from another address, signs in at once, only slowed.
		wantCode(t, login("sam", pw, "10.0.0.9"), "")
		wantWait("sam from elsewhere", 2*time.Second)
		// Other users are not slowed by an attack on sam, even from its address.
		wantCode(t, login("kim", kimPW, "10.0.0.1"), "")
		wantWait("kim", 0)
		// A minute later the attacking address has one attempt more.
		f.clock.Add(time.Minute)
		wantCode(t, login("sam", "wrong", "10.0.0.1"), mesh.EUNAUTHORIZED)
		wantCode(t, login("sam", "wrong", "10.0.0.1"), mesh.ERATELIMIT)
		// Once the attack stops, sam's answers speed up again.
		f.clock.Add(time.Hour)
		wantCode(t, login("sam", pw, "10.0.0.9"), "")
		wantWait("sam an hour later", 0)

		// Per address: 30 failures from one address, whatever the usernames.
		for i := range 30 {
			wantCode(t, login(fmt.Sprint("nobody", i), "x", "10.0.0.5"), mesh.EUNAUTHORIZED)
		}
		wantCode(t, login("someone", "x", "10.0.0.5"), mesh.ERATELIMIT)
		wantCode(t, login("someone", "x", "10.0.0.6"), mesh.EUNAUTHORIZED)
		f.clock.Add(10 * time.Second)
		wantCode(t, login("someone", "x", "10.0.0.5"), mesh.EUNAUTHORIZED)
		// Successes cost no budget.
		for range 40 {
			wantCode(t, login("kim", kimPW, "10.0.0.7"), "")
		}
	})
}

func TestUserManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		ada, _ := f.createUser(t, "111122223333", "ada", mesh.RoleAdmin)
		bea, _ := f.createUser(t, "111122223333", "bea", mesh.RoleMember)
		other, _ := f.createUser(t, "222233334444", "cy", mesh.RoleMember)
		adaCtx, beaCtx := f.as(t, ada), f.as(t, bea)

		tests := []struct {
			name  string
			ctx   context.Context
			in    auth.NewUser
			code  string
			field string
		}{
			{"account admin, own account", adaCtx, auth.NewUser{AccountID: "111122223333", Username: "dee", Roles: []string{"approver"}}, "", ""},
			{"account admin, other account", adaCtx, auth.NewUser{AccountID: "222233334444", Username: "eve", Roles: []string{"member"}}, mesh.EFORBIDDEN, ""},
			{"member", beaCtx, auth.NewUser{AccountID: "111122223333", Username: "fay", Roles: []string{"member"}}, mesh.EFORBIDDEN, ""},
			{"anonymous", ctx, auth.NewUser{AccountID: "111122223333", Username: "gus", Roles: []string{"member"}}, mesh.EUNAUTHORIZED, ""},
			{"taken", f.admin, auth.NewUser{AccountID: "111122223333", Username: "ada", Roles: []string{"member"}}, mesh.ECONFLICT, ""},
			{"unknown account", f.admin, auth.NewUser{AccountID: "999999999999", Username: "hal", Roles: []string{"member"}}, mesh.ENOTFOUND, ""},
			{"bad account", f.admin, auth.NewUser{AccountID: "No!", Username: "hal", Roles: []string{"member"}}, mesh.EINVALID, "account_id"},
			{"bad username", f.admin, auth.NewUser{AccountID: "111122223333", Username: "h a l", Roles: []string{"member"}}, mesh.EINVALID, "username"},
			{"no roles", f.admin, auth.NewUser{AccountID: "111122223333", Username: "hal"}, mesh.EINVALID, "roles"},
			{"unknown role", f.admin, auth.NewUser{AccountID: "111122223333", Username: "hal", Roles: []string{"member", "root"}}, mesh.EINVALID, "roles[1]"},
			{"bad email", f.admin, auth.NewUser{AccountID: "111122223333", Username: "hal", Email: "x", Roles: []string{"member"}}, mesh.EINVALID, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, pw, err := f.svc.CreateUser(tt.ctx, tt.in)
				if tt.code == "" {
					if err != nil || u.ID == 0 || pw == "" || !u.MustChangePassword {
						t.Fatalf("got %+v, %q, %v; want a user with a temporary password", u, pw, err)
					}
					return
				}
				var me *mesh.Error
				if !mesh.IsCode(err, tt.code) || tt.field != "" && (!asError(err, &me) || me.Field != tt.field) {
					t.Fatalf("got %v, want %s naming %q", err, tt.code, tt.field)
				}
			})
		}

		// Listing is scoped to the caller's account unless it is a mesh admin.
		us, err := f.svc.FindUsers(adaCtx, store.UserFilter{})
		if err != nil || len(us) != 3 {
			t.Errorf("account admin's listing: got %d users (%v), want ada, bea, dee", len(us), err)
		}
		_, err = f.svc.FindUsers(beaCtx, store.UserFilter{AccountID: "222233334444"})
		wantCode(t, err, mesh.EFORBIDDEN)
		all, err := f.svc.FindUsers(f.admin, store.UserFilter{})
		if err != nil || len(all) != 5 {
			t.Errorf("mesh admin's listing: got %d users (%v), want 5", len(all), err)
		}
		_, err = f.svc.FindUserByID(adaCtx, other.ID)
		wantCode(t, err, mesh.ENOTFOUND)

		// Roles: account admins manage their own account's users only.
		roles := []string{mesh.RoleApprover}
		u, err := f.svc.UpdateUser(adaCtx, bea.ID, auth.UserUpdate{Roles: &roles})
		if err != nil || len(u.Roles) != 1 || u.Roles[0] != "approver" {
			t.Errorf("got %+v (%v), want bea an approver", u, err)
		}
		_, err = f.svc.UpdateUser(beaCtx, ada.ID, auth.UserUpdate{Roles: &roles})
		wantCode(t, err, mesh.EFORBIDDEN)
		_, err = f.svc.UpdateUser(adaCtx, other.ID, auth.UserUpdate{Roles: &roles})
		wantCode(t, err, mesh.ENOTFOUND)

		// The last mesh admin keeps the role and cannot be deleted.
		admin := mesh.ActorFromContext(f.admin)
		_, err = f.svc.UpdateUser(f.admin, admin.UserID, auth.UserUpdate{Roles: &roles})
		wantCode(t, err, mesh.ECONFLICT)
		wantCode(t, f.svc.DeleteUser(f.admin, admin.UserID), mesh.ECONFLICT)
		second, _ := f.createUser(t, "central", "root2", mesh.RoleAdmin)
		wantCode(t, f.svc.DeleteUser(f.admin, second.ID), "")

		// Reset gives a new temporary password and ends sessions.
		pw, err := f.svc.ResetPassword(adaCtx, bea.ID)
		if err != nil || pw == "" {
			t.Fatalf("reset: %q, %v", pw, err)
		}
		l, err := f.svc.Login(ctx, auth.Credentials{Username: "bea", Password: pw, RemoteAddr: "10.1.1.1"})
		if err != nil || !l.User.MustChangePassword {
			t.Errorf("got %+v (%v), want a sign-in that must change its password", l, err)
		}
		wantCode(t, f.svc.DeleteUser(adaCtx, bea.ID), "")
		_, err = f.svc.FindUserByID(f.admin, bea.ID)
		wantCode(t, err, mesh.ENOTFOUND)

		// Every change is in the audit log, by its actor.
		es, err := f.svc.FindAuditEntries(f.admin, store.AuditFilter{Action: "user.*", Principal: "111122223333/ada"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.Action)
		}
		if want := "user.delete user.reset-password user.update user.create"; strings.Join(got, " ") != want {
			t.Errorf("got %v, want %s", got, want)
		}
		_, err = f.svc.FindAuditEntries(adaCtx, store.AuditFilter{})
		wantCode(t, err, mesh.EFORBIDDEN)
	})
}

func asError(err error, target **mesh.Error) bool {
	return errors.As(err, target)
}

func TestTokenCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		sam, _ := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		tok, secret, err := f.svc.CreateToken(f.admin, sam.ID, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		roles := func(svc *auth.Service) string {
			a, err := svc.AuthenticateToken(ctx, secret)
			if err != nil {
				return mesh.ErrorCode(err)
			}
			return strings.Join(a.Roles, ",")
		}
		// Another replica on the same store, with its own cache.
		other := auth.NewService(s, f.clock, auth.Options{Argon2: auth.TestArgon2})
		if got := roles(f.svc) + " " + roles(other); got != "member member" {
			t.Fatalf("got %q, want member on both replicas", got)
		}
		// A change made here shows here at once; on the other replica after its cache's TTL.
		newRoles := []string{mesh.RoleApprover}
		if _, err := f.svc.UpdateUser(f.admin, sam.ID, auth.UserUpdate{Roles: &newRoles}); err != nil {
			t.Fatal(err)
		}
		if got := roles(f.svc) + " " + roles(other); got != "approver member" {
			t.Errorf("got %q, want approver here and the cached member there", got)
		}
		if err := f.svc.RevokeToken(f.admin, sam.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if got := roles(f.svc) + " " + roles(other); got != mesh.EUNAUTHORIZED+" member" {
			t.Errorf("got %q, want unauthorized here and the cached member there", got)
		}
		f.clock.Add(5 * time.Second)
		if got := roles(other); got != mesh.EUNAUTHORIZED {
			t.Errorf("after the TTL: got %q, want unauthorized on the other replica", got)
		}
		// The cache also forgets on demand (offboarding calls this).
		_, secret2, _ := f.svc.CreateToken(f.admin, sam.ID, "ci2", 0)
		if _, err := f.svc.AuthenticateToken(ctx, secret2); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, sam.ID) }); err != nil {
			t.Fatal(err)
		}
		f.svc.ForgetTokens()
		if _, err := f.svc.AuthenticateToken(ctx, secret2); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("after ForgetTokens: got %v, want unauthorized", err)
		}
	})
}

// An account admin manages its members' tokens through the user's route
// only: the caller's own route never reaches another user's token, and the
// user's route only that user's tokens.
func TestRevokeTokenOwnership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		boss, _ := f.createUser(t, "111122223333", "boss", mesh.RoleAdmin)
		sam, _ := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		kim, _ := f.createUser(t, "111122223333", "kim", mesh.RoleMember)
		bossCtx := f.as(t, boss)
		samTok, samSecret, err := f.svc.CreateToken(f.as(t, sam), 0, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.RevokeToken(bossCtx, 0, samTok.ID), mesh.ENOTFOUND)
		wantCode(t, f.svc.RevokeToken(f.admin, 0, samTok.ID), mesh.ENOTFOUND)
		wantCode(t, f.svc.RevokeToken(bossCtx, kim.ID, samTok.ID), mesh.ENOTFOUND)
		if _, err := f.svc.AuthenticateToken(ctx, samSecret); err != nil {
			t.Fatalf("sam's token after refused revocations: got %v, want it working", err)
		}
		wantCode(t, f.svc.RevokeToken(bossCtx, sam.ID, samTok.ID), "")
		if _, err := f.svc.AuthenticateToken(ctx, samSecret); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("sam's token after its revocation: got %v, want unauthorized", err)
		}
	})
}

// An admin's password reset ends the user's sessions and tokens; the user
// changing its own password ends its other sessions and keeps its tokens.
func TestPasswordResetEndsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		sam, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		samCtx := f.as(t, sam)
		_, secret, err := f.svc.CreateToken(samCtx, 0, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		// Sam changes its own password: the token stays.
		l, err := f.svc.Login(ctx, auth.Credentials{Username: "sam", Password: pw2(t, f, sam, pw), RemoteAddr: "10.0.0.1"})
		if err != nil {
			t.Fatalf("sign in with the new password: %v", err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, secret); err != nil {
			t.Errorf("token after sam's own password change: got %v, want it working", err)
		}
		// The admin resets it: sessions and tokens end.
		if _, err := f.svc.ResetPassword(f.admin, sam.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, secret); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("token after the reset: got %v, want unauthorized", err)
		}
		if _, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/me", l.Secret)); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("session after the reset: got %v, want unauthorized", err)
		}
		if toks, err := f.svc.FindTokens(f.admin, sam.ID); err != nil || len(toks) != 0 {
			t.Errorf("got %d tokens (%v), want none after the reset", len(toks), err)
		}
	})
}

// pw2 changes u's temporary password pw (through a session) and returns the new one.
func pw2(t *testing.T, f *fixture, u *mesh.User, pw string) string {
	t.Helper()
	actor := mustSession(t, f, u.Username, pw)
	next := "a-new-password-" + u.Username
	if err := f.svc.ChangePassword(mesh.NewContext(context.Background(), actor), pw, next); err != nil {
		t.Fatalf("change password: %v", err)
	}
	return next
}

// On PostgreSQL, a replica forgets the tokens it cached as soon as another
// replica revokes them, resets their user's password or changes the user's
// roles: the notice arrives long before the cache's TTL, which the fake
// clock never reaches here.
func TestTokenChangesReachOtherReplicas(t *testing.T) {
	s := storetest.OpenPostgres(t, nil)
	f := newFixture(t, s)
	ctx := context.Background()
	other := auth.NewService(s, f.clock, auth.Options{Argon2: auth.TestArgon2})
	forgot := make(chan struct{}, 100)
	auth.SetOnForget(other, func() { forgot <- struct{}{} })
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { other.Run(runCtx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	deadline := time.After(30 * time.Second) // a guard against hanging, not a measurement
	select {
	case <-forgot:
	case <-deadline:
		t.Fatal("the listener never started")
	}
	sam, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
	newToken := func() string {
		t.Helper()
		_, secret, err := f.svc.CreateToken(f.admin, sam.ID, fmt.Sprint("t", time.Now().UnixNano()), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.AuthenticateToken(ctx, secret); err != nil {
			t.Fatalf("the other replica: got %v, want the new token working", err)
		}
		return secret
	}
	// waitFor waits for notices until the other replica's answer for secret is ok.
	waitFor := func(what, secret string, ok func(*mesh.Actor, error) bool) {
		t.Helper()
		for !ok(other.AuthenticateToken(ctx, secret)) {
			select {
			case <-forgot:
			case <-deadline:
				t.Fatalf("%s: the other replica never learned of it", what)
			}
		}
	}
	gone := func(_ *mesh.Actor, err error) bool { return mesh.IsCode(err, mesh.EUNAUTHORIZED) }

	secret := newToken()
	toks, _ := f.svc.FindTokens(f.admin, sam.ID)
	if err := f.svc.RevokeToken(f.admin, sam.ID, toks[len(toks)-1].ID); err != nil {
		t.Fatal(err)
	}
	waitFor("a revocation", secret, gone)

	secret = newToken()
	roles := []string{mesh.RoleApprover}
	if _, err := f.svc.UpdateUser(f.admin, sam.ID, auth.UserUpdate{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	waitFor("a role change", secret, func(a *mesh.Actor, err error) bool {
		return err == nil && strings.Join(a.Roles, ",") == mesh.RoleApprover
	})

	// A session is checked in the store on every request: ended here, it
	// is ended there at once.
	l, err := f.svc.Login(ctx, auth.Credentials{Username: "sam", Password: pw, RemoteAddr: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, request("GET", "/api/v1/me", l.Secret)); err != nil {
		t.Fatalf("session on the other replica: got %v, want it working", err)
	}
	if _, err := f.svc.ResetPassword(f.admin, sam.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, request("GET", "/api/v1/me", l.Secret)); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
		t.Errorf("session on the other replica after a reset: got %v, want unauthorized", err)
	}
	waitFor("a password reset", secret, gone)

	// An account's deletion (offboarding) deletes its users by cascade.
	secret = newToken()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteAccount(ctx, "111122223333") }); err != nil {
		t.Fatal(err)
	}
	waitFor("an account's deletion", secret, gone)
}

// TestPasswordChangeEndsOtherSessions: a user changing its own password
// ends its other sessions (a browser left signed in elsewhere, whoever
// stole a cookie), keeps the session it changed it from, and keeps its API
// tokens.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		sam, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		next := pw2(t, f, sam, pw)
		_, secret, err := f.svc.CreateToken(f.as(t, sam), 0, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		login := func() *auth.Login {
			t.Helper()
			l, err := f.svc.Login(ctx, auth.Credentials{Username: "sam", Password: next, RemoteAddr: "10.0.0.4"})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			return l
		}
		here, elsewhere := login(), login()
		actor, err := f.svc.Authenticate(ctx, request("POST", "/api/v1/me/password", here.Secret))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ChangePassword(mesh.NewContext(ctx, actor), next, "yet another long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/me", here.Secret)); err != nil {
			t.Errorf("the session that changed the password: got %v, want it kept", err)
		}
		if _, err := f.svc.Authenticate(ctx, request("GET", "/api/v1/me", elsewhere.Secret)); !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("another session: got %v, want unauthorized", err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, secret); err != nil {
			t.Errorf("an API token: got %v, want it kept", err)
		}
	})
}
