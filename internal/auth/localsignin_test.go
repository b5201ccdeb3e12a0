package auth_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestPasswordSignInSwitch: a mesh admin switches password sign-in off and
// on, audited; nobody else may; sign-ins follow the switch.
func TestPasswordSignInSwitch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		u, password := f.createUser(t, "111122223333", "ann", mesh.RoleAdmin)
		login := func() error {
			_, err := f.svc.Login(ctx, auth.Credentials{Username: "ann", Password: password, RemoteAddr: "192.0.2.1"})
			return err
		}
		if err := login(); err != nil {
			t.Fatalf("switched on by default: got %v", err)
		}
		wantCode(t, f.svc.SetPasswordSignIn(f.as(t, u), false), mesh.EFORBIDDEN)
		wantCode(t, f.svc.SetPasswordSignIn(f.admin, false), "")
		if on, err := f.svc.PasswordSignIn(ctx); on || err != nil {
			t.Fatalf("got %v, %v, want off", on, err)
		}
		wantCode(t, login(), mesh.EFORBIDDEN)
		wantCode(t, f.svc.SetPasswordSignIn(f.admin, true), "")
		wantCode(t, login(), "")
		var es []*mesh.AuditEntry
		s.View(ctx, func(tx store.Tx) (err error) {
			es, err = tx.FindAuditEntries(ctx, store.AuditFilter{Action: "auth.password-sign-in"})
			return err
		})
		if len(es) != 2 || es[0].Detail != "on" || es[1].Detail != "off" {
			t.Errorf("got %d audit entries, want off then on", len(es))
		}
	})
}
