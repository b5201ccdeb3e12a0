// Package account manages the mesh's accounts: the central account (the
// server's own, created at start), and the producer and consumer accounts
// mesh admins onboard and offboard.
//
// Offboarding must not make anything disappear silently: other areas
// register DependentsFunc values that list what still refers to an account
// (data products, open requests, active shares), and offboarding an account
// with dependents needs force.
package account

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// DependentsFunc lists what in an area still refers to an account, one
// readable line each ("database/sales", "share/42 to 222233334444"). It runs
// inside the offboarding transaction.
type DependentsFunc func(ctx context.Context, tx store.Tx, accountID string) ([]string, error)

// Central describes the central account as the server is configured.
type Central struct {
	ID           string
	Name         string
	Organization string
}

// Service manages accounts.
type Service struct {
	store   store.Store
	clock   mesh.Clock
	central Central

	mu         sync.RWMutex
	dependents []DependentsFunc
	cleanups   []DependentsFunc
	offboarded []func(accountID string)
}

// NewService returns the accounts service for the configured central account.
func NewService(s store.Store, clock mesh.Clock, central Central) *Service {
	if clock == nil {
		clock = mesh.SystemClock{}
	}
	return &Service{store: s, clock: clock, central: central}
}

// RegisterDependents adds an area's list of what refers to an account. An
// account with dependents is offboarded only with force.
func (s *Service) RegisterDependents(fn DependentsFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dependents = append(s.dependents, fn)
}

// RegisterCleanup adds an area's clean-up for offboarding: it runs in every
// offboarding transaction that goes ahead (forced, or without dependents),
// before the account is deleted, and returns what it removed or changed,
// which the audit log records.
func (s *Service) RegisterCleanup(fn DependentsFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, fn)
}

// OnOffboard adds fn to what runs after an offboarding commits (for example
// to forget cached credentials of the account's users).
func (s *Service) OnOffboard(fn func(accountID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offboarded = append(s.offboarded, fn)
}

// CentralAccountID returns the id of the central account.
func (s *Service) CentralAccountID() string { return s.central.ID }

// EnsureCentral creates the central account if it is missing, and keeps its
// organization as configured. It runs at start, as the system.
func (s *Service) EnsureCentral(ctx context.Context) error {
	ctx = mesh.NewContext(ctx, mesh.SystemActor(s.central.ID))
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.FindAccountByID(ctx, s.central.ID)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			a = &mesh.Account{ID: s.central.ID, Name: s.central.Name, Organization: s.central.Organization, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return fmt.Errorf("create the central account: %w", err)
			}
			return store.Audit(ctx, tx, now, "account.onboard", "account/"+a.ID, "central account")
		}
		if err != nil {
			return err
		}
		if s.central.Organization == "" || a.Organization == s.central.Organization {
			return nil
		}
		a.Organization, a.UpdatedAt = s.central.Organization, now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "account.update", "account/"+a.ID, "organization="+a.Organization+" (configured)")
	})
}

// Validate checks a new account's fields, naming the first bad one, and puts
// the name in NFC, the form it is stored in.
func Validate(a *mesh.Account) error {
	if err := mesh.ValidateAccountID("id", a.ID); err != nil {
		return err
	}
	name, err := mesh.CleanAccountName("name", a.Name)
	if err != nil {
		return err
	}
	a.Name = name
	if err := mesh.ValidateOrganization("organization", a.Organization); err != nil {
		return err
	}
	return mesh.ValidateEmail("email", a.Email)
}

// CreateAccount onboards an account. Only mesh admins onboard.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ECONFLICT (the id exists).
func (s *Service) CreateAccount(ctx context.Context, a *mesh.Account) error {
	if err := requireMeshAdmin(ctx, "onboard accounts"); err != nil {
		return err
	}
	if err := Validate(a); err != nil {
		return err
	}
	now := s.clock.Now()
	a.CreatedAt, a.UpdatedAt = now, now
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "account.onboard", "account/"+a.ID, "name="+a.Name+" organization="+a.Organization)
	})
}

// FindAccountByID returns an account; every signed-in user may read accounts.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) FindAccountByID(ctx context.Context, id string) (*mesh.Account, error) {
	if _, err := mesh.RequireActor(ctx); err != nil {
		return nil, err
	}
	var a *mesh.Account
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		a, err = tx.FindAccountByID(ctx, id)
		return err
	})
	return a, err
}

// MaxPage bounds one page of accounts.
const MaxPage = 1000

// FindAccounts lists accounts ordered by id. Errors: EUNAUTHORIZED, EINVALID.
func (s *Service) FindAccounts(ctx context.Context, f store.AccountFilter) ([]*mesh.Account, error) {
	if _, err := mesh.RequireActor(ctx); err != nil {
		return nil, err
	}
	if f.Limit < 0 || f.Limit > MaxPage {
		return nil, mesh.Invalid("limit", "must be between 1 and %d", MaxPage)
	}
	if err := mesh.ValidateOrganization("organization", f.Organization); err != nil {
		return nil, err
	}
	var out []*mesh.Account
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.FindAccounts(ctx, f)
		return err
	})
	if out == nil {
		out = []*mesh.Account{}
	}
	return out, err
}

// Update changes an account; nil fields stay as they are.
type Update struct {
	Name         *string `json:"name,omitempty"`
	Organization *string `json:"organization,omitempty"`
	Email        *string `json:"email,omitempty"`
}

// UpdateAccount changes an account. Mesh admins change anything; an
// account's admins change its name and email, not its organization (which
// decides how shares reach it). Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ENOTFOUND.
func (s *Service) UpdateAccount(ctx context.Context, id string, upd Update) (*mesh.Account, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !actor.IsMeshAdmin() && !actor.IsAdminOf(id) {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and the account's admins may change account %s", id)
	}
	if upd.Organization != nil && !actor.IsMeshAdmin() {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may change an account's organization")
	}
	now := s.clock.Now()
	var a *mesh.Account
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if a, err = tx.FindAccountByID(ctx, id); err != nil {
			return err
		}
		if upd.Name != nil {
			a.Name = *upd.Name
		}
		if upd.Organization != nil {
			a.Organization = *upd.Organization
		}
		if upd.Email != nil {
			a.Email = *upd.Email
		}
		if err := Validate(a); err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "account.update", "account/"+a.ID, "name="+a.Name+" organization="+a.Organization)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Offboarding is what offboarding an account affected.
type Offboarding struct {
	Account *mesh.Account `json:"account"`
	// Affected lists the dependents that existed and what clean-ups removed.
	Affected []string `json:"affected"`
	// UsersRemoved counts the account's users, deleted with it.
	UsersRemoved int `json:"users_removed"`
}

// DependentsDetails are the Details of the ECONFLICT an offboarding without
// force returns.
type DependentsDetails struct {
	Account    string   `json:"account"`
	Dependents []string `json:"dependents"`
}

// OffboardAccount removes an account with its users, sessions and tokens.
// If anything still refers to it (see RegisterDependents), it refuses with
// ECONFLICT listing those dependents, unless force is set; a forced
// offboarding runs the registered clean-ups and records everything affected
// in the audit log. Only mesh admins offboard, and never the central account.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID.
func (s *Service) OffboardAccount(ctx context.Context, id string, force bool) (*Offboarding, error) {
	if err := requireMeshAdmin(ctx, "offboard accounts"); err != nil {
		return nil, err
	}
	if id == s.central.ID {
		return nil, mesh.Invalid("id", "the central account %s cannot be offboarded", id)
	}
	s.mu.RLock()
	dependents, cleanups, offboarded := s.dependents, s.cleanups, s.offboarded
	s.mu.RUnlock()
	now := s.clock.Now()
	res := &Offboarding{Affected: []string{}}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.FindAccountByID(ctx, id)
		if err != nil {
			return err
		}
		res.Account = a
		for _, fn := range dependents {
			deps, err := fn(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("list dependents of account %s: %w", id, err)
			}
			res.Affected = append(res.Affected, deps...)
		}
		if len(res.Affected) > 0 && !force {
			return &mesh.Error{Code: mesh.ECONFLICT,
				Message: fmt.Sprintf("account %s still has %d dependents; offboard with force to remove it anyway", id, len(res.Affected)),
				Details: DependentsDetails{Account: id, Dependents: res.Affected}}
		}
		for _, fn := range cleanups {
			done, err := fn(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("clean up account %s: %w", id, err)
			}
			res.Affected = append(res.Affected, done...)
		}
		users, err := countUsers(ctx, tx, id)
		if err != nil {
			return err
		}
		res.UsersRemoved = users
		if err := tx.DeleteAccount(ctx, id); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"force": force, "affected": res.Affected, "users_removed": users})
		return store.Audit(ctx, tx, now, "account.offboard", "account/"+id, string(detail))
	})
	if err != nil {
		return nil, err
	}
	for _, fn := range offboarded {
		fn(id)
	}
	return res, nil
}

func countUsers(ctx context.Context, tx store.Tx, accountID string) (int, error) {
	n := 0
	f := store.UserFilter{AccountID: accountID, Limit: 1000}
	for {
		us, err := tx.FindUsers(ctx, f)
		if err != nil {
			return 0, err
		}
		n += len(us)
		if len(us) < f.Limit {
			return n, nil
		}
		f.AfterID = us[len(us)-1].ID
	}
}

func requireMeshAdmin(ctx context.Context, what string) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	if !actor.IsMeshAdmin() {
		return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may %s", what)
	}
	return nil
}

// OffboardImpact tells, without changing anything, what offboarding the
// account would affect: its dependents (what a forced offboarding cleans up)
// and how many users would be deleted with it. Only mesh admins ask.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID (the central account).
func (s *Service) OffboardImpact(ctx context.Context, id string) (*Offboarding, error) {
	if err := requireMeshAdmin(ctx, "offboard accounts"); err != nil {
		return nil, err
	}
	if id == s.central.ID {
		return nil, mesh.Invalid("id", "the central account %s cannot be offboarded", id)
	}
	s.mu.RLock()
	dependents := s.dependents
	s.mu.RUnlock()
	res := &Offboarding{Affected: []string{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		a, err := tx.FindAccountByID(ctx, id)
		if err != nil {
			return err
		}
		res.Account = a
		for _, fn := range dependents {
			deps, err := fn(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("list dependents of account %s: %w", id, err)
			}
			res.Affected = append(res.Affected, deps...)
		}
		res.UsersRemoved, err = countUsers(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
