package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("oidc", testOIDC) }

func testOIDC(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var ann, bob *mesh.User
	identityUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount("central", "Central", "")); err != nil {
			return err
		}
		ann, bob = identityUser("central", "ann", mesh.RoleAdmin), identityUser("central", "bob", mesh.RoleMember)
		for _, u := range []*mesh.User{ann, bob} {
			if err := tx.CreateUser(ctx, u, "h"); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("logins are taken once", func(t *testing.T) {
		l := &store.OIDCLogin{Provider: "corp", Nonce: "n1", Verifier: "v1", Return: "/ui/",
			CreatedAt: identityBase, ExpiresAt: identityBase.Add(10 * time.Minute)}
		identityUpdate(t, s, func(tx store.Tx) error { return tx.CreateOIDCLogin(ctx, []byte("state-1"), l) })
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateOIDCLogin(ctx, []byte("state-1"), l) })
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("same state twice: got %v, want conflict", err)
		}
		var got *store.OIDCLogin
		identityUpdate(t, s, func(tx store.Tx) (err error) { got, err = tx.TakeOIDCLogin(ctx, []byte("state-1")); return err })
		if *got != *l {
			t.Errorf("got %+v, want %+v", got, l)
		}
		err = s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeOIDCLogin(ctx, []byte("state-1")); return err })
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("taken twice: got %v, want not found", err)
		}
	})

	t.Run("expired logins are deleted", func(t *testing.T) {
		identityUpdate(t, s, func(tx store.Tx) error {
			for i, exp := range []time.Duration{time.Minute, time.Hour} {
				l := &store.OIDCLogin{Provider: "corp", Nonce: "n", Verifier: "v", CreatedAt: identityBase, ExpiresAt: identityBase.Add(exp)}
				if err := tx.CreateOIDCLogin(ctx, []byte{byte(i)}, l); err != nil {
					return err
				}
			}
			n, err := tx.DeleteExpiredOIDCLogins(ctx, identityBase.Add(2*time.Minute))
			if n != 1 {
				t.Errorf("got %d deleted, want 1", n)
			}
			return err
		})
		identityUpdate(t, s, func(tx store.Tx) error {
			if _, err := tx.TakeOIDCLogin(ctx, []byte{1}); err != nil {
				t.Errorf("unexpired login: got %v, want it kept", err)
			}
			return nil
		})
	})

	t.Run("exchanged ID tokens are marked once, apart from logins", func(t *testing.T) {
		mark := func(hash string, exp time.Duration) error {
			return s.Update(ctx, func(tx store.Tx) error {
				return tx.MarkIDTokenExchanged(ctx, []byte(hash), "corp", identityBase, identityBase.Add(exp))
			})
		}
		if err := mark("claims-1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := mark("claims-1", time.Minute); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("marked twice: got %v, want conflict", err)
		}
		// A callback takes logins by the hash of the state it brings: it
		// finds no mark, and leaves it.
		err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeOIDCLogin(ctx, []byte("claims-1")); return err })
		if !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("take a mark as a login: got %v, want not found", err)
		}
		identityUpdate(t, s, func(tx store.Tx) error {
			n, err := tx.DeleteExpiredOIDCLogins(ctx, identityBase.Add(2*time.Minute))
			if n != 0 {
				t.Errorf("expired logins: got %d deleted, want 0 (marks are no logins)", n)
			}
			return err
		})
		if err := mark("claims-1", time.Minute); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("after the callback and the logins' reaping: got %v, want conflict", err)
		}
		if err := mark("claims-2", time.Hour); err != nil {
			t.Fatal(err)
		}
		identityUpdate(t, s, func(tx store.Tx) error {
			n, err := tx.DeleteExpiredIDTokenMarks(ctx, identityBase.Add(2*time.Minute))
			if n != 1 {
				t.Errorf("got %d deleted, want 1", n)
			}
			return err
		})
		if err := mark("claims-1", time.Minute); err != nil {
			t.Errorf("an expired mark: got %v, want it deleted", err)
		}
		if err := mark("claims-2", time.Hour); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("an unexpired mark: got %v, want it kept", err)
		}
	})

	t.Run("identities", func(t *testing.T) {
		identityUpdate(t, s, func(tx store.Tx) error { return tx.LinkIdentity(ctx, "corp", "sub-ann", ann.ID, identityBase) })
		for _, c := range []struct {
			name, provider, subject string
			user                    int64
			want                    string
		}{
			{"subject taken", "corp", "sub-ann", bob.ID, mesh.ECONFLICT},
			{"user linked", "corp", "sub-other", ann.ID, mesh.ECONFLICT},
			{"missing user", "corp", "sub-x", 999999, mesh.ENOTFOUND},
		} {
			err := s.Update(ctx, func(tx store.Tx) error { return tx.LinkIdentity(ctx, c.provider, c.subject, c.user, identityBase) })
			if !mesh.IsCode(err, c.want) {
				t.Errorf("%s: got %v, want %s", c.name, err, c.want)
			}
		}
		identityView(t, s, func(tx store.Tx) error {
			if id, err := tx.FindUserIDByIdentity(ctx, "corp", "sub-ann"); err != nil || id != ann.ID {
				t.Errorf("find: got %d, %v, want %d", id, err, ann.ID)
			}
			if _, err := tx.FindUserIDByIdentity(ctx, "other", "sub-ann"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("other provider: got %v, want not found", err)
			}
			if p, sub, err := tx.IdentityOf(ctx, ann.ID); err != nil || p != "corp" || sub != "sub-ann" {
				t.Errorf("identity of ann: got %s %s %v, want corp sub-ann", p, sub, err)
			}
			if _, _, err := tx.IdentityOf(ctx, bob.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("identity of bob: got %v, want not found", err)
			}
			return nil
		})
		identityUpdate(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, ann.ID) })
		identityView(t, s, func(tx store.Tx) error {
			if _, err := tx.FindUserIDByIdentity(ctx, "corp", "sub-ann"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("after the user's deletion: got %v, want not found", err)
			}
			return nil
		})
	})

	t.Run("put setting", func(t *testing.T) {
		identityUpdate(t, s, func(tx store.Tx) error {
			for _, v := range []string{"a", "b"} {
				if err := tx.PutSetting(ctx, "k", v); err != nil {
					return err
				}
			}
			if v, err := tx.Setting(ctx, "k"); v != "b" || err != nil {
				t.Errorf("got %q, %v, want b", v, err)
			}
			return nil
		})
	})
}
