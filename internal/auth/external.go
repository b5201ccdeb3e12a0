package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// External is a user an identity provider vouched for, with the account and
// roles its claims map to.
type External struct {
	// Provider and Subject identify the user for good: a second sign-in finds
	// the user by them, whatever its name or email became.
	Provider string
	Subject  string
	// Username is the name a new user gets (derived from the claims; a
	// suffix is added when it is taken or looks like a taken one).
	Username string
	Email    string
	// AccountID and Roles are what the claims map to; Roles is never empty.
	AccountID string
	Roles     []string
	// Groups are the claim's values, for the audit log.
	Groups []string
	// RemoteAddr and RequestID say where the sign-in came from, for the audit log.
	RemoteAddr, RequestID string
}

// ExternalResult is what an external sign-in did.
type ExternalResult struct {
	User *mesh.User
	// Created is set when the user was created by this sign-in.
	Created bool
	// RolesBefore are the user's roles before this sign-in (nil when created).
	RolesBefore []string
}

// usernameTries bounds the suffixes tried for a new user's name.
const usernameTries = 20

// ResolveExternal finds the user the provider's subject is linked to, or
// creates it (just in time), and makes its roles those of e: a group the
// provider no longer lists takes its role away. Creation, role changes and
// the identity link are audited in the same transaction.
// Errors: EINVALID, EFORBIDDEN (the claims name another account than the
// user's, or a missing one), ECONFLICT (no free user name).
func (s *Service) ResolveExternal(ctx context.Context, e External) (*ExternalResult, error) {
	if e.Provider == "" || e.Subject == "" {
		return nil, mesh.Invalid("subject", "is required")
	}
	if len(e.Roles) == 0 {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "no role is mapped")
	}
	if err := mesh.ValidateRoles("roles", e.Roles); err != nil {
		return nil, err
	}
	if mesh.ValidateEmail("email", e.Email) != nil {
		e.Email = ""
	}
	// Most sign-ins change nothing: a read finds the user as the claims
	// describe it, and no write follows (bearer access tokens resolve at
	// every call).
	var known *mesh.User
	err := s.store.View(ctx, func(tx store.Tx) error {
		id, err := tx.FindUserIDByIdentity(ctx, e.Provider, e.Subject)
		if err != nil {
			return err
		}
		known, err = tx.FindUserByID(ctx, id)
		return err
	})
	// A new user gets a random password nobody knows: it signs in through
	// its provider. Hashing it costs, so only when the user is new.
	var unusable string
	switch {
	case mesh.IsCode(err, mesh.ENOTFOUND):
		unusable = s.hash(newSecret())
	case err != nil:
		return nil, err
	case known.AccountID == e.AccountID && sameRoles(known.Roles, e.Roles):
		return &ExternalResult{User: known, RolesBefore: slices.Clone(known.Roles)}, nil
	}
	now := s.clock.Now()
	res := &ExternalResult{}
	changed := false
	resource := "identity/" + e.Provider + "/" + e.Subject
	err = s.store.Update(ctx, func(tx store.Tx) error {
		id, err := tx.FindUserIDByIdentity(ctx, e.Provider, e.Subject)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			if unusable == "" { // created meanwhile, then deleted
				return mesh.Errorf(mesh.ECONFLICT, "your user changed during sign-in; try again")
			}
			u, err := s.createExternal(ctx, tx, e, unusable)
			if err != nil {
				return err
			}
			if err := tx.LinkIdentity(ctx, e.Provider, e.Subject, u.ID, now); err != nil {
				return err
			}
			res.User, res.Created = u, true
			actx := s.actorContext(ctx, u, e.RemoteAddr, e.RequestID)
			return store.Audit(actx, tx, now, "user.create-from-identity", userResource(u),
				resource+" roles="+strings.Join(u.Roles, ",")+" groups="+strings.Join(e.Groups, ","))
		}
		if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, id)
		if err != nil {
			return err
		}
		if u.AccountID != e.AccountID {
			return mesh.Errorf(mesh.EFORBIDDEN, "your groups map to account %s, but you are a user of account %s; ask a mesh admin", e.AccountID, u.AccountID)
		}
		res.User, res.RolesBefore = u, slices.Clone(u.Roles)
		if sameRoles(u.Roles, e.Roles) {
			return nil
		}
		roles, before := sorted(e.Roles), sorted(u.Roles)
		changed = true
		u.Roles, u.UpdatedAt = e.Roles, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return store.Audit(s.actorContext(ctx, u, e.RemoteAddr, e.RequestID), tx, now, "user.roles-from-identity", userResource(u),
			"roles "+strings.Join(before, ",")+" -> "+strings.Join(roles, ",")+" groups="+strings.Join(e.Groups, ","))
	})
	if err != nil {
		return nil, err
	}
	if changed {
		// Tokens cached with the old roles must not keep them.
		s.tokens.clear()
	}
	return res, nil
}

func sorted(roles []string) []string {
	r := slices.Clone(roles)
	slices.Sort(r)
	return r
}

func sameRoles(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

// createExternal creates e's user under the first free name among e.Username,
// e.Username-2, e.Username-3, ...
func (s *Service) createExternal(ctx context.Context, tx store.Tx, e External, hash string) (*mesh.User, error) {
	now := s.clock.Now()
	base := e.Username
	for i := 1; i <= usernameTries; i++ {
		name := base
		if i > 1 {
			suffix := fmt.Sprintf("-%d", i)
			name = base[:min(len(base), mesh.MaxUsernameLen-len(suffix))] + suffix
		}
		if err := mesh.ValidateUsername("username", name); err != nil {
			return nil, err
		}
		u := &mesh.User{AccountID: e.AccountID, Username: name, Email: e.Email, Roles: slices.Clone(e.Roles), CreatedAt: now, UpdatedAt: now}
		err := tx.CreateUser(ctx, u, hash)
		var me *mesh.Error
		if errors.As(err, &me) && me.Code == mesh.ECONFLICT {
			continue
		}
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil, mesh.Errorf(mesh.EFORBIDDEN, "your groups map to account %s, which this mesh does not have; ask a mesh admin", e.AccountID)
		}
		if err != nil {
			return nil, err
		}
		return u, nil
	}
	return nil, mesh.Errorf(mesh.ECONFLICT, "no free user name like %q; ask a mesh admin", base)
}

// StartSession signs u in with a new session, as a password sign-in does,
// and audits it as action with detail. The caller has authenticated u.
func (s *Service) StartSession(ctx context.Context, u *mesh.User, remoteAddr, requestID, action, detail string) (*Login, error) {
	now := s.clock.Now()
	secret := newSecret()
	sess := &mesh.Session{UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionMax), RemoteAddr: remoteAddr}
	actx := s.actorContext(ctx, u, remoteAddr, requestID)
	err := s.store.Update(actx, func(tx store.Tx) error {
		if err := tx.CreateSession(actx, sess, secretHash(secret)); err != nil {
			return err
		}
		// the stamp alone: u was read before, and a change made since stays
		if err := tx.RecordLogin(actx, u.ID, now, ""); err != nil {
			return err
		}
		u.LastLoginAt = &now
		return store.Audit(actx, tx, now, action, userResource(u), detail)
	})
	if err != nil {
		return nil, err
	}
	return &Login{User: u, Session: sess, Secret: secret}, nil
}

// IssueToken gives u, whom the caller has authenticated (through an
// identity provider), a new API token named name valid for ttl (0: no
// expiry), and returns it with its secret. The sign-in and the token are
// audited in the same transaction. Errors: EINVALID.
func (s *Service) IssueToken(ctx context.Context, u *mesh.User, name string, ttl time.Duration, remoteAddr, requestID, detail string) (*mesh.Token, string, error) {
	if err := mesh.ValidateTokenName("name", name); err != nil {
		return nil, "", err
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return nil, "", mesh.Invalid("expires_in", "must be between 0 (no expiry) and %s", MaxTokenTTL)
	}
	secret := TokenPrefix + newSecret()
	now := s.clock.Now()
	tok := &mesh.Token{UserID: u.ID, Username: u.Username, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		tok.ExpiresAt = &exp
	}
	actx := s.actorContext(ctx, u, remoteAddr, requestID)
	err := s.store.Update(actx, func(tx store.Tx) error {
		if err := tx.CreateToken(actx, tok, secretHash(secret)); err != nil {
			return err
		}
		if err := tx.RecordLogin(actx, u.ID, now, ""); err != nil {
			return err
		}
		u.LastLoginAt = &now
		if err := store.Audit(actx, tx, now, "auth.login-identity-token", userResource(u), detail); err != nil {
			return err
		}
		return store.Audit(actx, tx, now, "token.create", fmt.Sprintf("token/%d", tok.ID), "user="+userResource(u)+" name="+name)
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

func (s *Service) actorContext(ctx context.Context, u *mesh.User, remoteAddr, requestID string) context.Context {
	actor := s.actor(u)
	actor.RemoteAddr = remoteAddr
	actor.RequestID = requestID
	return mesh.NewContext(ctx, actor)
}

// AuditRefusal records a refused sign-in through an identity provider, in a
// transaction of its own: the refusal wrote nothing else.
func (s *Service) AuditRefusal(ctx context.Context, remoteAddr, requestID, resource string, refusal error) error {
	e := mesh.NewAuditEntry(nil, s.clock.Now(), "auth.login-identity", resource)
	e.RemoteAddr, e.RequestID = remoteAddr, requestID
	e.Result = mesh.ErrorCode(refusal)
	e.Detail = mesh.ErrorMessage(refusal)
	return s.store.Update(ctx, func(tx store.Tx) error { return tx.InsertAudit(ctx, &e) })
}

// Actor returns the actor u acts as, for credentials verified outside this
// package (an identity provider's access token).
func (s *Service) Actor(u *mesh.User) *mesh.Actor { return s.actor(u) }
