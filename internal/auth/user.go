package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// NewUser is what creating a user takes.
type NewUser struct {
	AccountID string   `json:"account_id"`
	Username  string   `json:"username"`
	Email     string   `json:"email,omitempty"`
	Roles     []string `json:"roles"`
}

// Validate checks the fields, naming the first bad one.
func (n *NewUser) Validate() error {
	if err := mesh.ValidateAccountID("account_id", n.AccountID); err != nil {
		return err
	}
	if err := mesh.ValidateUsername("username", n.Username); err != nil {
		return err
	}
	if err := mesh.ValidateEmail("email", n.Email); err != nil {
		return err
	}
	return mesh.ValidateRoles("roles", n.Roles)
}

// CreateUser creates a user with a one-time temporary password, returned
// here and nowhere else; the user must change it at first sign-in. Mesh
// admins create users in any account, an account's admins in their own.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ENOTFOUND (account), ECONFLICT (username taken).
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*mesh.User, string, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	if !canManageUsersOf(actor, n.AccountID) {
		return nil, "", mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and admins of account %s may create its users", n.AccountID)
	}
	password := TemporaryPassword()
	hash := s.hash(password)
	now := s.clock.Now()
	u := &mesh.User{AccountID: n.AccountID, Username: n.Username, Email: n.Email, Roles: n.Roles,
		MustChangePassword: true, CreatedAt: now, UpdatedAt: now}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u, hash); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "user.create", userResource(u), "roles="+strings.Join(u.Roles, ","))
	})
	if err != nil {
		return nil, "", err
	}
	return u, password, nil
}

func userResource(u *mesh.User) string { return "user/" + u.AccountID + "/" + u.Username }

// FindUserByID returns a user that the actor may see: itself, or a user of an
// account it manages. Others are reported as not found. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) FindUserByID(ctx context.Context, id int64) (*mesh.User, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	var u *mesh.User
	err = s.store.View(ctx, func(tx store.Tx) error {
		u, err = tx.FindUserByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if u.ID != actor.UserID && !canManageUsersOf(actor, u.AccountID) && u.AccountID != actor.AccountID {
		return nil, mesh.NotFound("user", fmt.Sprint(id))
	}
	return u, nil
}

// FindUsers lists users. Mesh admins see every account's; others see their
// own account's only. Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN.
func (s *Service) FindUsers(ctx context.Context, f store.UserFilter) ([]*mesh.User, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if f.Role != "" && !slices.Contains(mesh.Roles, f.Role) {
		return nil, mesh.Invalid("role", "unknown role %q; roles are %v", f.Role, mesh.Roles)
	}
	if !actor.IsMeshAdmin() {
		if f.AccountID != "" && f.AccountID != actor.AccountID {
			return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may list the users of other accounts")
		}
		f.AccountID = actor.AccountID
	}
	var users []*mesh.User
	err = s.store.View(ctx, func(tx store.Tx) error {
		users, err = tx.FindUsers(ctx, f)
		return err
	})
	if users == nil {
		users = []*mesh.User{}
	}
	return users, err
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Email *string   `json:"email,omitempty"`
	Roles *[]string `json:"roles,omitempty"`
}

// UpdateUser changes a user's roles or email. Mesh admins update anyone, an
// account's admins their own account's users. The last mesh admin cannot lose
// the admin role. An update naming no field is refused.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ENOTFOUND, ECONFLICT.
func (s *Service) UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*mesh.User, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if upd.Email == nil && upd.Roles == nil {
		return nil, mesh.Invalid("body", "names nothing to change (email or roles)")
	}
	if upd.Email != nil {
		if err := mesh.ValidateEmail("email", *upd.Email); err != nil {
			return nil, err
		}
	}
	if upd.Roles != nil {
		if err := mesh.ValidateRoles("roles", *upd.Roles); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	var u *mesh.User
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if u, err = s.managedUser(ctx, tx, actor, id); err != nil {
			return err
		}
		var changes []string
		if upd.Email != nil {
			u.Email = *upd.Email
			changes = append(changes, "email")
		}
		if upd.Roles != nil {
			if slices.Contains(u.Roles, mesh.RoleAdmin) && !slices.Contains(*upd.Roles, mesh.RoleAdmin) {
				if err := s.keepOneMeshAdmin(ctx, tx, u); err != nil {
					return err
				}
			}
			u.Roles = *upd.Roles
			changes = append(changes, "roles="+strings.Join(u.Roles, ","))
		}
		u.UpdatedAt = now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "user.update", userResource(u), strings.Join(changes, " "))
	})
	if err != nil {
		return nil, err
	}
	s.tokens.clear()
	return u, nil
}

// UserDeleteFunc runs inside the transaction that deletes a user, for an
// area that keeps things by the user's name (access: its grants). An error
// rolls the deletion back.
type UserDeleteFunc func(ctx context.Context, tx store.Tx, accountID, username string) error

// OnDeleteUser adds fn to what runs in every user deletion's transaction,
// before the user is deleted. Register before serving.
func (s *Service) OnDeleteUser(fn UserDeleteFunc) { s.userDeleted = append(s.userDeleted, fn) }

// DeleteUser removes a user with its sessions and tokens, and, through the
// OnDeleteUser hooks, what other areas keep by its name (its grants), so
// that a user given the name later starts with nothing. The last mesh
// admin cannot be deleted. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	defer s.tokens.clear()
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.managedUser(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if slices.Contains(u.Roles, mesh.RoleAdmin) {
			if err := s.keepOneMeshAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, fn := range s.userDeleted {
			if err := fn(ctx, tx, u.AccountID, u.Username); err != nil {
				return err
			}
		}
		if err := tx.DeleteUser(ctx, id); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "user.delete", userResource(u), "")
	})
}

// ResetPassword gives a user a new temporary password, ends all its
// sessions and revokes all its API tokens (whoever may have learnt the old
// password may have made one), and returns the password, shown once. A user
// changing its own password (ChangePassword) keeps its tokens.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) ResetPassword(ctx context.Context, id int64) (string, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return "", err
	}
	password := TemporaryPassword()
	hash := s.hash(password)
	now := s.clock.Now()
	defer s.tokens.clear()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.managedUser(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, id, hash, true, now); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, id, 0); err != nil {
			return err
		}
		n, err := tx.DeleteUserTokens(ctx, id)
		if err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "user.reset-password", userResource(u), fmt.Sprintf("sessions ended, %d tokens revoked", n))
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// managedUser returns user id if actor may manage it; users the actor may
// not see are not found, those it may see but not manage are forbidden.
func (s *Service) managedUser(ctx context.Context, tx store.Tx, actor *mesh.Actor, id int64) (*mesh.User, error) {
	u, err := tx.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if canManageUsersOf(actor, u.AccountID) {
		return u, nil
	}
	if u.AccountID == actor.AccountID {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only admins of account %s may manage its users", u.AccountID)
	}
	return nil, mesh.NotFound("user", fmt.Sprint(id))
}

// keepOneMeshAdmin refuses to take away the last mesh admin.
func (s *Service) keepOneMeshAdmin(ctx context.Context, tx store.Tx, u *mesh.User) error {
	if u.AccountID != s.opts.CentralAccountID {
		return nil
	}
	admins, err := tx.FindUsers(ctx, store.UserFilter{AccountID: u.AccountID, Role: mesh.RoleAdmin, Limit: 2})
	if err != nil {
		return err
	}
	if len(admins) < 2 {
		return mesh.Errorf(mesh.ECONFLICT, "%s is the last mesh admin; make another user a mesh admin first", u.Username)
	}
	return nil
}
