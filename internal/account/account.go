// Package account manages the mesh's accounts: the central account (the
// server's own, created at start), and the producer and consumer accounts
// mesh admins onboard and offboard.
//
// Offboarding must not make anything disappear silently: other areas
// register DependentsFunc values that list what still refers to an account
// (data products, grants, shares, invitations, resource links), and
// offboarding an account with dependents needs force. A forced offboarding
// ends all of it in one transaction through the areas' CleanupFuncs: the
// account's products are deleted, or handed to another account named by
// OffboardOptions.TransferTo. An offboarded id is remembered; onboarding it
// again must be asked for (OnboardOptions.Reonboard) and inherits nothing.
package account

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// DependentsFunc lists what in an area still refers to an account, one
// line each in the form "kind/id: description" ("database/sales: data
// product, 2 tables", "share/42: sales.orders with account 222233334444
// (pending)"). It runs inside the offboarding transaction. An item listed by
// more than one area is reported once (by its "kind/id").
type DependentsFunc func(ctx context.Context, tx store.Tx, accountID string) ([]string, error)

// CleanupFunc ends what in an area refers to an account being offboarded,
// inside the offboarding transaction, auditing each item, and returns what
// it ended in the form of DependentsFunc. transferTo, when not empty, is the
// account that takes over the offboarded account's products.
type CleanupFunc func(ctx context.Context, tx store.Tx, accountID, transferTo string) ([]string, error)

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
	cleanups   []CleanupFunc
	offboarded []func(accountID string)
	onboarded  []OnboardFunc
}

// OnboardFunc runs inside the transaction that onboards an account, so
// what an area keeps per account (a notification topic) exists exactly when
// the account does.
type OnboardFunc func(ctx context.Context, tx store.Tx, a *mesh.Account) error

// OnOnboard adds fn to what runs in every onboarding transaction, after the
// account is created.
func (s *Service) OnOnboard(fn OnboardFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onboarded = append(s.onboarded, fn)
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
// in the order registered, before the account is deleted, and returns what
// it removed or changed, which the audit log records.
func (s *Service) RegisterCleanup(fn CleanupFunc) {
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
			s.mu.RLock()
			onboarded := s.onboarded
			s.mu.RUnlock()
			for _, fn := range onboarded {
				if err := fn(ctx, tx, a); err != nil {
					return fmt.Errorf("onboard the central account: %w", err)
				}
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

// OnboardOptions tune an onboarding.
type OnboardOptions struct {
	// Reonboard allows an id that was offboarded before. The new account
	// inherits nothing: offboarding ended or handed over everything the old
	// one had.
	Reonboard bool
}

// CreateAccount onboards an account with the default options; see Onboard.
func (s *Service) CreateAccount(ctx context.Context, a *mesh.Account) error {
	return s.Onboard(ctx, a, OnboardOptions{})
}

// Onboard onboards an account. Only mesh admins onboard. An id that was
// offboarded is refused unless opts.Reonboard is set.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ECONFLICT (the id exists, or
// was offboarded and Reonboard is not set; Details: the offboarding record).
func (s *Service) Onboard(ctx context.Context, a *mesh.Account, opts OnboardOptions) error {
	if err := requireMeshAdmin(ctx, "onboard accounts"); err != nil {
		return err
	}
	if err := Validate(a); err != nil {
		return err
	}
	now := s.clock.Now()
	a.CreatedAt, a.UpdatedAt = now, now
	s.mu.RLock()
	onboarded := s.onboarded
	s.mu.RUnlock()
	return s.store.Update(ctx, func(tx store.Tx) error {
		detail := "name=" + a.Name + " organization=" + a.Organization
		old, err := tx.FindOffboardedAccount(ctx, a.ID)
		switch {
		case mesh.IsCode(err, mesh.ENOTFOUND):
		case err != nil:
			return err
		case !opts.Reonboard:
			return &mesh.Error{Code: mesh.ECONFLICT, Details: old,
				Message: fmt.Sprintf("account id %s was offboarded on %s (it was %s); onboarding it again needs reonboard=true (--reonboard), and the new account starts with nothing of the old one's",
					a.ID, old.OffboardedAt.Format("2006-01-02 15:04 MST"), old.Name)}
		default:
			detail += fmt.Sprintf(" reonboard=true (offboarded %s by %s)", old.OffboardedAt.Format("2006-01-02T15:04:05Z"), old.OffboardedBy)
		}
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		for _, fn := range onboarded {
			if err := fn(ctx, tx, a); err != nil {
				return fmt.Errorf("onboard account %s: %w", a.ID, err)
			}
		}
		return store.Audit(ctx, tx, now, "account.onboard", "account/"+a.ID, detail)
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
// decides how shares reach it). An update naming no field is refused.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ENOTFOUND.
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
	if upd == (Update{}) {
		return nil, mesh.Invalid("body", "names nothing to change (name, organization or email)")
	}
	now := s.clock.Now()
	var a *mesh.Account
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if a, err = tx.FindAccountByID(ctx, id); err != nil {
			return err
		}
		if err := applyUpdate(a, upd); err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "account.update", "account/"+a.ID, "name="+a.Name+" organization="+a.Organization+" email="+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// applyUpdate sets on a the fields upd names, checking each as Validate
// does. A field sent as it is stored is kept, not checked again: names
// stored before they refused zero-width characters and bidirectional
// controls, or before they were kept in NFC, stay as they are until
// someone sets another, so that an update of the email, or one sending
// the name back as it read it, is not refused for a name its caller did
// not set.
func applyUpdate(a *mesh.Account, upd Update) error {
	if upd.Name != nil && *upd.Name != a.Name {
		name, err := mesh.CleanAccountName("name", *upd.Name)
		if err != nil {
			return err
		}
		a.Name = name
	}
	if upd.Organization != nil && *upd.Organization != a.Organization {
		if err := mesh.ValidateOrganization("organization", *upd.Organization); err != nil {
			return err
		}
		a.Organization = *upd.Organization
	}
	if upd.Email != nil && *upd.Email != a.Email {
		if err := mesh.ValidateEmail("email", *upd.Email); err != nil {
			return err
		}
		a.Email = *upd.Email
	}
	return nil
}

// Offboarding is what offboarding an account affected.
type Offboarding struct {
	Account *mesh.Account `json:"account"`
	// Affected lists, once each, what referred to the account and what the
	// clean-ups ended, deleted or handed over ("kind/id: description").
	Affected []string `json:"affected"`
	// TransferredTo is the account that took over the products, if any.
	TransferredTo string `json:"transferred_to,omitempty"`
	// UsersRemoved counts the account's users, deleted with it.
	UsersRemoved int `json:"users_removed"`
}

// OffboardOptions tune an offboarding.
type OffboardOptions struct {
	// Force offboards an account that still has dependents, ending them.
	Force bool
	// TransferTo names an onboarded account that takes over the offboarded
	// account's products (data_owner rewritten, audited). Empty, the
	// default, deletes them with the account.
	TransferTo string
}

// DependentsDetails are the Details of the ECONFLICT an offboarding without
// force returns.
type DependentsDetails struct {
	Account    string   `json:"account"`
	Dependents []string `json:"dependents"`
}

// OffboardAccount removes an account with its users, sessions and tokens.
// If anything still refers to it (see RegisterDependents), it refuses with
// ECONFLICT listing each dependent once, unless opts.Force is set. A
// forced offboarding runs the registered clean-ups in the same transaction:
// every grant, share, pending invitation and resource link that stems from
// the account's products or was received by it ends, and its products are
// deleted, or handed to opts.TransferTo; each item is audited, and the
// offboarding's own audit record lists them all. The id is remembered (see
// Onboard). Only mesh admins offboard, and never the central account.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID (the
// central account; transfer_to naming the account itself, or no onboarded account).
func (s *Service) OffboardAccount(ctx context.Context, id string, opts OffboardOptions) (*Offboarding, error) {
	if err := requireMeshAdmin(ctx, "offboard accounts"); err != nil {
		return nil, err
	}
	actor := mesh.ActorFromContext(ctx)
	if id == s.central.ID {
		return nil, mesh.Invalid("id", "the central account %s cannot be offboarded", id)
	}
	if opts.TransferTo != "" {
		if err := mesh.ValidateAccountID("transfer_to", opts.TransferTo); err != nil {
			return nil, err
		}
		if opts.TransferTo == id {
			return nil, mesh.Invalid("transfer_to", "names the account being offboarded; name another onboarded account")
		}
	}
	s.mu.RLock()
	dependents, cleanups, offboarded := s.dependents, s.cleanups, s.offboarded
	s.mu.RUnlock()
	now := s.clock.Now()
	res := &Offboarding{Affected: []string{}, TransferredTo: opts.TransferTo}
	// Its grants go, so PostgreSQL may abort it to break a deadlock with a
	// sharing transaction: it then runs again, its result set anew.
	err := store.UpdateRetrying(ctx, s.store, func(tx store.Tx) error {
		res.Account, res.Affected, res.UsersRemoved = nil, []string{}, 0
		// Lock the account first: a concurrent write naming it as a data
		// owner (which takes the lock shared) lands before the listing
		// below, or waits and then finds it offboarded.
		if err := tx.LockAccount(ctx, id, true); err != nil {
			return err
		}
		a, err := tx.FindAccountByID(ctx, id)
		if err != nil {
			return err
		}
		res.Account = a
		if opts.TransferTo != "" {
			if _, err := tx.FindAccountByID(ctx, opts.TransferTo); mesh.IsCode(err, mesh.ENOTFOUND) {
				return mesh.Invalid("transfer_to", "account %s is not onboarded", opts.TransferTo)
			} else if err != nil {
				return err
			}
		}
		found, err := listDependents(ctx, tx, dependents, id)
		if err != nil {
			return err
		}
		if len(found) > 0 && !opts.Force {
			return &mesh.Error{Code: mesh.ECONFLICT,
				Message: fmt.Sprintf("account %s still has %d dependents; offboard with force to end them (its products are deleted, or handed to another account with transfer_to)", id, len(found)),
				Details: DependentsDetails{Account: id, Dependents: found}}
		}
		res.Affected = append(res.Affected, found...)
		for _, fn := range cleanups {
			done, err := fn(ctx, tx, id, opts.TransferTo)
			if err != nil {
				return fmt.Errorf("clean up account %s: %w", id, err)
			}
			res.Affected = append(res.Affected, done...)
		}
		res.Affected = dedupe(res.Affected)
		users, err := countUsers(ctx, tx, id)
		if err != nil {
			return err
		}
		res.UsersRemoved = users
		if err := tx.DeleteAccount(ctx, id); err != nil {
			return err
		}
		var by mesh.Principal
		if actor != nil {
			by = mesh.Principal(actor.Principal())
		}
		if err := tx.RecordOffboardedAccount(ctx, &mesh.OffboardedAccount{ID: id, Name: a.Name, OffboardedAt: now, OffboardedBy: by}); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"force": opts.Force, "transfer_to": opts.TransferTo, "affected": res.Affected, "users_removed": users})
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

// listDependents runs every area's DependentsFunc and lists what refers to
// the account, each item once.
func listDependents(ctx context.Context, tx store.Tx, fns []DependentsFunc, id string) ([]string, error) {
	found := []string{}
	for _, fn := range fns {
		deps, err := fn(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("list dependents of account %s: %w", id, err)
		}
		found = append(found, deps...)
	}
	return dedupe(found), nil
}

// dedupe lists each "kind/id" (the text before ": ") once, at its first
// place, with its last description: an item two areas report, or that a
// clean-up reports again as ended or handed over, is one line saying what
// happened to it.
func dedupe(items []string) []string {
	at := make(map[string]int, len(items))
	out := make([]string, 0, len(items))
	for _, it := range items {
		key, _, _ := strings.Cut(it, ": ")
		if i, ok := at[key]; ok {
			out[i] = it
			continue
		}
		at[key] = len(out)
		out = append(out, it)
	}
	return out
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
		if res.Affected, err = listDependents(ctx, tx, dependents, id); err != nil {
			return err
		}
		res.UsersRemoved, err = countUsers(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
