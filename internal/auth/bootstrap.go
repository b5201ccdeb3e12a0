package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// BootstrapUsername is the mesh admin a fresh store starts with.
const BootstrapUsername = "admin"

// BootstrapFile is where, in the data directory, the first admin's
// credentials are written.
const BootstrapFile = "bootstrap-admin.txt"

// Bootstrap is what bootstrapping did.
type Bootstrap struct {
	// Created is false when the store already had users: nothing was done.
	Created  bool
	Username string
	// Password is the admin's temporary password.
	Password string
	// File is where the credentials were written ("" when no data directory was given).
	File string
}

// Bootstrap creates the first mesh admin on a store without users, in the
// central account (which must exist), with a temporary password. The
// credentials are written to dataDir/bootstrap-admin.txt (mode 0600) unless
// dataDir is empty. A non-empty token becomes a valid API token of that
// admin, for automation. On a store with users it does nothing.
func (s *Service) Bootstrap(ctx context.Context, dataDir, token string) (*Bootstrap, error) {
	ctx = mesh.NewContext(ctx, mesh.SystemActor(s.opts.CentralAccountID))
	// Most starts find users: they skip the password hash, which is hashed
	// outside the write transaction below so as not to hold the store.
	var users int
	if err := s.store.View(ctx, func(tx store.Tx) (err error) {
		users, err = tx.CountUsers(ctx)
		return err
	}); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if users > 0 {
		return &Bootstrap{}, nil
	}
	password := TemporaryPassword()
	hash := s.hash(password)
	now := s.clock.Now()
	u := &mesh.User{AccountID: s.opts.CentralAccountID, Username: BootstrapUsername, Roles: []string{mesh.RoleAdmin},
		MustChangePassword: true, CreatedAt: now, UpdatedAt: now}
	created := false
	err := s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountUsers(ctx)
		if err != nil || n > 0 {
			return err
		}
		if err := tx.CreateUser(ctx, u, hash); err != nil {
			// Another replica bootstrapped first.
			if mesh.IsCode(err, mesh.ECONFLICT) {
				return nil
			}
			return err
		}
		if err := store.Audit(ctx, tx, now, "auth.bootstrap", userResource(u), "first mesh admin"); err != nil {
			return err
		}
		created = true
		if token == "" {
			return nil
		}
		tok := &mesh.Token{UserID: u.ID, Name: "bootstrap", Prefix: token[:min(4, len(token))], CreatedAt: now}
		if err := tx.CreateToken(ctx, tok, secretHash(token)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "token.create", fmt.Sprintf("token/%d", tok.ID), "user="+userResource(u)+" name=bootstrap")
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if !created {
		return &Bootstrap{}, nil
	}
	b := &Bootstrap{Created: true, Username: u.Username, Password: password}
	if dataDir != "" {
		b.File = filepath.Join(dataDir, BootstrapFile)
		text := fmt.Sprintf("meshgate's first mesh admin. Sign in and change this temporary password; then delete this file.\nusername: %s\npassword: %s\n", u.Username, password)
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		if err := WritePrivateFile(b.File, []byte(text)); err != nil {
			return nil, fmt.Errorf("bootstrap: write %s: %w", b.File, err)
		}
	}
	return b, nil
}

// WritePrivateFile writes a credentials file readable by its owner only
// (0600), whatever the umask; a file already there is made private before
// the new content goes in.
func WritePrivateFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	err = f.Chmod(0o600)
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
