package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("auth", testAuth) }

func identityUser(accountID, username string, roles ...string) *mesh.User {
	return &mesh.User{AccountID: accountID, Username: username, Email: username + "@example.com", Roles: roles,
		MustChangePassword: true, CreatedAt: identityBase, UpdatedAt: identityBase}
}

func testAuth(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var ann, bob, cat *mesh.User
	identityUpdate(t, s, func(tx store.Tx) error {
		for _, a := range []*mesh.Account{identityAccount("central", "Central", ""), identityAccount("111122223333", "Sales", "")} {
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		if n, err := tx.CountUsers(ctx); err != nil || n != 0 {
			t.Errorf("fresh store: got %d users (%v), want 0", n, err)
		}
		ann = identityUser("central", "ann", mesh.RoleAdmin)
		bob = identityUser("111122223333", "bob", mesh.RoleApprover, mesh.RoleMember)
		cat = identityUser("111122223333", "cat", mesh.RoleAdmin)
		for _, u := range []*mesh.User{ann, bob, cat} {
			if err := tx.CreateUser(ctx, u, "hash-of-"+u.Username); err != nil {
				return err
			}
			if u.ID == 0 {
				t.Errorf("user %s: got id 0, want an assigned id", u.Username)
			}
		}
		return nil
	})

	t.Run("user errors", func(t *testing.T) {
		err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreateUser(ctx, identityUser("central", "ann", mesh.RoleMember), "h"); !mesh.IsCode(err, mesh.ECONFLICT) {
				t.Errorf("taken username: got %v, want conflict", err)
			}
			if err := tx.CreateUser(ctx, identityUser("999999999999", "zed", mesh.RoleMember), "h"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown account: got %v, want not found", err)
			}
			_, err := tx.CountUsers(ctx)
			return err
		})
		if err != nil {
			t.Fatalf("got %v, want the transaction usable after rejected inserts", err)
		}
	})

	t.Run("find users", func(t *testing.T) {
		identityView(t, s, func(tx store.Tx) error {
			u, hash, err := tx.FindUserByUsername(ctx, "bob")
			if err != nil {
				return err
			}
			if hash != "hash-of-bob" || u.ID != bob.ID || u.AccountID != "111122223333" || !slices.Equal(u.Roles, []string{"approver", "member"}) ||
				!u.MustChangePassword || u.Email != "bob@example.com" || !u.CreatedAt.Equal(identityBase) || u.LastLoginAt != nil {
				t.Errorf("got %+v with hash %q, want bob as created with hash-of-bob", u, hash)
			}
			if _, _, err := tx.FindUserByUsername(ctx, "nobody"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown username: got %v, want not found", err)
			}
			if _, err := tx.FindUserByID(ctx, 987654); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown id: got %v, want not found", err)
			}
			if n, err := tx.CountUsers(ctx); err != nil || n != 3 {
				t.Errorf("got %d users (%v), want 3", n, err)
			}
			return nil
		})
		tests := []struct {
			name   string
			filter store.UserFilter
			want   []string
		}{
			{"all", store.UserFilter{}, []string{"ann", "bob", "cat"}},
			{"account", store.UserFilter{AccountID: "111122223333"}, []string{"bob", "cat"}},
			{"role", store.UserFilter{Role: mesh.RoleAdmin}, []string{"ann", "cat"}},
			{"role in account", store.UserFilter{AccountID: "111122223333", Role: mesh.RoleMember}, []string{"bob"}},
			{"page", store.UserFilter{AfterID: ann.ID, Limit: 1}, []string{"bob"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				identityView(t, s, func(tx store.Tx) error {
					us, err := tx.FindUsers(ctx, tt.filter)
					for _, u := range us {
						got = append(got, u.Username)
					}
					return err
				})
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("update user and password", func(t *testing.T) {
		later := identityBase.Add(time.Hour)
		identityUpdate(t, s, func(tx store.Tx) error {
			u := *bob
			u.Roles, u.Email, u.MustChangePassword, u.UpdatedAt, u.LastLoginAt = []string{mesh.RoleMember}, "", false, later, &later
			if err := tx.UpdateUser(ctx, &u); err != nil {
				return err
			}
			if err := tx.SetPassword(ctx, cat.ID, "new-hash", false, later); err != nil {
				return err
			}
			if err := tx.SetPassword(ctx, 987654, "x", false, later); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("password of unknown user: got %v, want not found", err)
			}
			return nil
		})
		identityView(t, s, func(tx store.Tx) error {
			u, err := tx.FindUserByID(ctx, bob.ID)
			if err != nil {
				return err
			}
			if !slices.Equal(u.Roles, []string{"member"}) || u.Email != "" || u.MustChangePassword || u.LastLoginAt == nil || !u.LastLoginAt.Equal(later) || !u.UpdatedAt.Equal(later) {
				t.Errorf("got %+v, want roles [member], no email, no password change, last login %v", u, later)
			}
			c, hash, err := tx.FindUserByUsername(ctx, "cat")
			if err != nil {
				return err
			}
			if hash != "new-hash" || c.MustChangePassword {
				t.Errorf("got hash %q must-change %v, want new-hash false", hash, c.MustChangePassword)
			}
			return nil
		})
	})

	t.Run("record login", func(t *testing.T) {
		at := identityBase.Add(2 * time.Hour)
		var before *mesh.User
		identityView(t, s, func(tx store.Tx) error {
			var err error
			before, err = tx.FindUserByID(ctx, cat.ID)
			return err
		})
		identityUpdate(t, s, func(tx store.Tx) error {
			if err := tx.RecordLogin(ctx, cat.ID, at, "another-hash"); !mesh.IsCode(err, mesh.ECONFLICT) {
				t.Errorf("with a password hash no longer the user's: got %v, want conflict", err)
			}
			if err := tx.RecordLogin(ctx, 987654, at, ""); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown user: got %v, want not found", err)
			}
			return tx.RecordLogin(ctx, cat.ID, at, "new-hash")
		})
		identityUpdate(t, s, func(tx store.Tx) error { return tx.RecordLogin(ctx, bob.ID, at, "") })
		identityView(t, s, func(tx store.Tx) error {
			for _, id := range []int64{cat.ID, bob.ID} {
				u, err := tx.FindUserByID(ctx, id)
				if err != nil {
					return err
				}
				if u.LastLoginAt == nil || !u.LastLoginAt.Equal(at) {
					t.Errorf("user %d: got last login %v, want %v", id, u.LastLoginAt, at)
				}
			}
			u, hash, err := tx.FindUserByUsername(ctx, "cat")
			if err != nil {
				return err
			}
			// only the stamp changed
			u.LastLoginAt = before.LastLoginAt
			if hash != "new-hash" || !reflect.DeepEqual(u, before) {
				t.Errorf("got %+v (hash %q), want %+v but for its last sign-in", u, hash, before)
			}
			return nil
		})
	})

	t.Run("sessions", func(t *testing.T) {
		mk := func(userID int64, seen, expires time.Time) *mesh.Session {
			return &mesh.Session{UserID: userID, CreatedAt: identityBase, LastSeenAt: seen, ExpiresAt: expires, RemoteAddr: "10.0.0.1"}
		}
		s1 := mk(ann.ID, identityBase, identityBase.Add(7*24*time.Hour))
		s2 := mk(ann.ID, identityBase, identityBase.Add(7*24*time.Hour))
		s3 := mk(bob.ID, identityBase, identityBase.Add(time.Hour))
		identityUpdate(t, s, func(tx store.Tx) error {
			for i, se := range []*mesh.Session{s1, s2, s3} {
				if err := tx.CreateSession(ctx, se, []byte{byte(i), 1, 2, 3}); err != nil {
					return err
				}
			}
			if err := tx.CreateSession(ctx, mk(987654, identityBase, identityBase), []byte{9}); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("session of unknown user: got %v, want not found", err)
			}
			return nil
		})
		seen := identityBase.Add(30 * time.Minute)
		identityUpdate(t, s, func(tx store.Tx) error { return tx.TouchSession(ctx, s1.ID, seen) })
		identityView(t, s, func(tx store.Tx) error {
			got, err := tx.FindSessionByHash(ctx, []byte{0, 1, 2, 3})
			if err != nil {
				return err
			}
			if got.ID != s1.ID || got.UserID != ann.ID || !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(s1.ExpiresAt) || got.RemoteAddr != "10.0.0.1" {
				t.Errorf("got %+v, want session %d of ann last seen %v", got, s1.ID, seen)
			}
			if _, err := tx.FindSessionByHash(ctx, []byte{7, 7}); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown session: got %v, want not found", err)
			}
			return nil
		})
		// Expired (s3 at +1h) and idle (s2 last seen at base, idle cut at +10m) go; s1 stays.
		identityUpdate(t, s, func(tx store.Tx) error {
			n, err := tx.DeleteExpiredSessions(ctx, identityBase.Add(2*time.Hour), identityBase.Add(10*time.Minute))
			if err != nil {
				return err
			}
			if n != 2 {
				t.Errorf("got %d expired sessions removed, want 2", n)
			}
			return nil
		})
		identityUpdate(t, s, func(tx store.Tx) error {
			s4 := mk(ann.ID, seen, identityBase.Add(time.Hour))
			if err := tx.CreateSession(ctx, s4, []byte{4}); err != nil {
				return err
			}
			if err := tx.DeleteUserSessions(ctx, ann.ID, s4.ID); err != nil {
				return err
			}
			if _, err := tx.FindSessionByHash(ctx, []byte{0, 1, 2, 3}); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("other session after DeleteUserSessions: got %v, want not found", err)
			}
			if _, err := tx.FindSessionByHash(ctx, []byte{4}); err != nil {
				t.Errorf("kept session: got %v, want found", err)
			}
			if err := tx.DeleteSession(ctx, s4.ID); err != nil {
				return err
			}
			if _, err := tx.FindSessionByHash(ctx, []byte{4}); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("deleted session: got %v, want not found", err)
			}
			return tx.DeleteSession(ctx, s4.ID)
		})
	})

	t.Run("tokens", func(t *testing.T) {
		exp := identityBase.Add(24 * time.Hour)
		t1 := &mesh.Token{UserID: ann.ID, Name: "ci", Prefix: "mgt_aaaa", CreatedAt: identityBase, ExpiresAt: &exp}
		t2 := &mesh.Token{UserID: ann.ID, Name: "laptop", Prefix: "mgt_bbbb", CreatedAt: identityBase}
		identityUpdate(t, s, func(tx store.Tx) error {
			if err := tx.CreateToken(ctx, t1, []byte("h1")); err != nil {
				return err
			}
			if err := tx.CreateToken(ctx, t2, []byte("h2")); err != nil {
				return err
			}
			if err := tx.CreateToken(ctx, &mesh.Token{UserID: ann.ID, Name: "dup", Prefix: "x", CreatedAt: identityBase}, []byte("h1")); !mesh.IsCode(err, mesh.ECONFLICT) {
				t.Errorf("same hash twice: got %v, want conflict", err)
			}
			return nil
		})
		used := identityBase.Add(time.Minute)
		identityUpdate(t, s, func(tx store.Tx) error { return tx.TouchToken(ctx, t1.ID, used) })
		identityView(t, s, func(tx store.Tx) error {
			got, err := tx.FindTokenByHash(ctx, []byte("h1"))
			if err != nil {
				return err
			}
			if got.ID != t1.ID || got.UserID != ann.ID || got.Username != "ann" || got.Name != "ci" || got.Prefix != "mgt_aaaa" ||
				got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
				t.Errorf("got %+v, want token ci of ann expiring %v, used %v", got, exp, used)
			}
			byID, err := tx.FindTokenByID(ctx, t2.ID)
			if err != nil {
				return err
			}
			if byID.Name != "laptop" || byID.ExpiresAt != nil || byID.LastUsedAt != nil {
				t.Errorf("got %+v, want laptop without expiry or use", byID)
			}
			list, err := tx.FindTokens(ctx, ann.ID)
			if err != nil {
				return err
			}
			if len(list) != 2 || list[0].ID != t1.ID || list[1].ID != t2.ID {
				t.Errorf("got %d tokens, want ci and laptop in order", len(list))
			}
			none, err := tx.FindTokens(ctx, bob.ID)
			if err != nil || none == nil || len(none) != 0 {
				t.Errorf("got %v (%v), want an empty list", none, err)
			}
			return nil
		})
		identityUpdate(t, s, func(tx store.Tx) error {
			if err := tx.DeleteToken(ctx, t1.ID); err != nil {
				return err
			}
			if err := tx.DeleteToken(ctx, t1.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("revoke twice: got %v, want not found", err)
			}
			if _, err := tx.FindTokenByHash(ctx, []byte("h1")); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("revoked token: got %v, want not found", err)
			}
			return nil
		})
		// DeleteUserTokens ends one user's tokens and no one else's.
		identityUpdate(t, s, func(tx store.Tx) error {
			for i, h := range []string{"h3", "h4"} {
				if err := tx.CreateToken(ctx, &mesh.Token{UserID: ann.ID, Name: fmt.Sprint("more", i), Prefix: "mgt_cccc", CreatedAt: identityBase}, []byte(h)); err != nil {
					return err
				}
			}
			if err := tx.CreateToken(ctx, &mesh.Token{UserID: bob.ID, Name: "bob", Prefix: "mgt_dddd", CreatedAt: identityBase}, []byte("hb")); err != nil {
				return err
			}
			n, err := tx.DeleteUserTokens(ctx, ann.ID)
			if err != nil {
				return err
			}
			if n != 3 {
				t.Errorf("got %d tokens of ann deleted, want 3", n)
			}
			if list, err := tx.FindTokens(ctx, ann.ID); err != nil || len(list) != 0 {
				t.Errorf("ann's tokens after DeleteUserTokens: got %d (%v), want none", len(list), err)
			}
			if _, err := tx.FindTokenByHash(ctx, []byte("hb")); err != nil {
				t.Errorf("bob's token after DeleteUserTokens of ann: got %v, want found", err)
			}
			if n, err := tx.DeleteUserTokens(ctx, ann.ID); err != nil || n != 0 {
				t.Errorf("again: got %d (%v), want 0", n, err)
			}
			// The cascade below still has a token of ann's to remove.
			return tx.CreateToken(ctx, &mesh.Token{UserID: ann.ID, Name: "laptop", Prefix: "mgt_bbbb", CreatedAt: identityBase}, []byte("h2"))
		})
	})

	t.Run("delete user cascades", func(t *testing.T) {
		identityUpdate(t, s, func(tx store.Tx) error {
			if err := tx.CreateSession(ctx, &mesh.Session{UserID: ann.ID, CreatedAt: identityBase, LastSeenAt: identityBase, ExpiresAt: identityBase.Add(time.Hour)}, []byte("ann-s")); err != nil {
				return err
			}
			if err := tx.DeleteUser(ctx, ann.ID); err != nil {
				return err
			}
			if err := tx.DeleteUser(ctx, ann.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("delete twice: got %v, want not found", err)
			}
			return nil
		})
		identityView(t, s, func(tx store.Tx) error {
			if _, err := tx.FindSessionByHash(ctx, []byte("ann-s")); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("session of deleted user: got %v, want not found", err)
			}
			if _, err := tx.FindTokenByHash(ctx, []byte("h2")); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("token of deleted user: got %v, want not found", err)
			}
			return nil
		})
	})
}
