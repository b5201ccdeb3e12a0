package auth

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// passwordSignInKey is the setting that switches password sign-in off ("off").
const passwordSignInKey = "auth.password_sign_in"

// PasswordSignIn reports whether users may sign in with a password (the
// default); a mesh admin may switch it off once the mesh signs in through an
// identity provider. API tokens work either way.
func (s *Service) PasswordSignIn(ctx context.Context) (bool, error) {
	var v string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.Setting(ctx, passwordSignInKey)
		return err
	})
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return v != "off", nil
}

// SetPasswordSignIn switches password sign-in on or off, for every replica.
// Sessions already started stay. Only mesh admins may.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) SetPasswordSignIn(ctx context.Context, on bool) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	if !actor.IsMeshAdmin() {
		return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may switch password sign-in on or off")
	}
	v := "on"
	if !on {
		v = "off"
	}
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSetting(ctx, passwordSignInKey, v); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "auth.password-sign-in", "setting/"+passwordSignInKey, v)
	})
}
