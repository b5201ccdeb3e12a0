package auth_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// pausing holds the first sign-in that reads a user, once armed, after its
// read: where the password check (argon2, tens of milliseconds) sits.
type pausing struct {
	store.Store
	armed            atomic.Bool
	reached, release chan struct{}
}

func newPausing(s store.Store) *pausing {
	return &pausing{Store: s, reached: make(chan struct{}), release: make(chan struct{})}
}

func (p *pausing) View(ctx context.Context, fn func(tx store.Tx) error) error {
	saw := false
	err := p.Store.View(ctx, func(tx store.Tx) error { return fn(userReads{tx, &saw}) })
	if saw && p.armed.CompareAndSwap(true, false) {
		close(p.reached)
		<-p.release
	}
	return err
}

// userReads notes a read of a user by name.
type userReads struct {
	store.Tx
	saw *bool
}

func (t userReads) FindUserByUsername(ctx context.Context, username string) (*mesh.User, string, error) {
	*t.saw = true
	return t.Tx.FindUserByUsername(ctx, username)
}

// signInDuring runs a sign-in of username with password that checks the
// password while change runs, and returns its outcome.
func signInDuring(t *testing.T, p *pausing, f *fixture, username, password string, change func()) (*auth.Login, error) {
	t.Helper()
	p.armed.Store(true)
	type result struct {
		l   *auth.Login
		err error
	}
	done := make(chan result)
	go func() {
		l, err := f.svc.Login(context.Background(), auth.Credentials{Username: username, Password: password, RemoteAddr: "198.51.100.9"})
		done <- result{l, err}
	}()
	<-p.reached
	change()
	close(p.release)
	r := <-done
	return r.l, r.err
}

// TestSignInDuringPasswordReset: a sign-in whose password was checked
// before an admin's reset committed gets no session, and leaves the reset's
// must-change flag as it is.
func TestSignInDuringPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		p := newPausing(s)
		f := newFixture(t, p)
		sam, pw := f.createUser(t, "111122223333", "sam", mesh.RoleMember)
		old := pw2(t, f, sam, pw)
		l, err := signInDuring(t, p, f, "sam", old, func() {
			if _, err := f.svc.ResetPassword(f.admin, sam.ID); err != nil {
				t.Fatal(err)
			}
		})
		if !mesh.IsCode(err, mesh.EUNAUTHORIZED) {
			t.Errorf("sign-in with the password the reset replaced: got %+v, %v; want unauthorized", l, err)
		}
		if l != nil {
			if _, err := f.svc.Authenticate(context.Background(), request("POST", "/api/v1/me/tokens", l.Secret)); err == nil {
				t.Errorf("its session reaches the API after the reset")
			}
		}
		if u, err := f.svc.FindUserByID(f.admin, sam.ID); err != nil || !u.MustChangePassword {
			t.Errorf("after the reset: got %+v, %v; want the new temporary password to be changed first", u, err)
		}
	})
}

// TestSignInDuringRoleChange: a sign-in does not write back the roles it
// read before an admin changed them, and its session acts with the new ones.
func TestSignInDuringRoleChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		p := newPausing(s)
		f := newFixture(t, p)
		eve, pw := f.createUser(t, "111122223333", "eve", mesh.RoleAdmin, mesh.RoleMember)
		next := pw2(t, f, eve, pw)
		member := []string{mesh.RoleMember}
		l, err := signInDuring(t, p, f, "eve", next, func() {
			if _, err := f.svc.UpdateUser(f.admin, eve.ID, auth.UserUpdate{Roles: &member}); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		u, err := f.svc.FindUserByID(f.admin, eve.ID)
		if err != nil || !slices.Equal(u.Roles, member) || u.LastLoginAt == nil {
			t.Errorf("after the role change and the sign-in: got %+v, %v; want roles %v and the sign-in's time", u, err, member)
		}
		a, err := f.svc.Authenticate(context.Background(), request("GET", "/api/v1/me", l.Secret))
		if err != nil || !slices.Equal(a.Roles, member) {
			t.Errorf("the session's actor: got %+v, %v; want roles %v", a, err, member)
		}
	})
}
