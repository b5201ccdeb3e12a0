package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// MaxTokenTTL bounds an API token's lifetime when one is given.
const MaxTokenTTL = 10 * 365 * 24 * time.Hour

// CreateToken issues an API token for user userID (0 for the actor itself),
// valid for ttl (0 for no expiry), and returns it with its secret, shown
// only here. Users create their own tokens; mesh admins and an account's
// admins may issue tokens for the account's users.
// Errors: EUNAUTHORIZED, EINVALID, EFORBIDDEN, ENOTFOUND.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, ttl time.Duration) (*mesh.Token, string, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := mesh.ValidateTokenName("name", name); err != nil {
		return nil, "", err
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return nil, "", mesh.Invalid("expires_in", "must be between 0 (no expiry) and %s", MaxTokenTTL)
	}
	if userID == 0 {
		userID = actor.UserID
	}
	secret := TokenPrefix + newSecret()
	now := s.clock.Now()
	tok := &mesh.Token{UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		tok.ExpiresAt = &exp
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.tokenOwner(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		tok.Username = u.Username
		if err := tx.CreateToken(ctx, tok, secretHash(secret)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "token.create", fmt.Sprintf("token/%d", tok.ID), "user="+userResource(u)+" name="+name)
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// FindTokens lists a user's tokens (0 for the actor's own), never their
// secrets. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) FindTokens(ctx context.Context, userID int64) ([]*mesh.Token, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if userID == 0 {
		userID = actor.UserID
	}
	var toks []*mesh.Token
	err = s.store.View(ctx, func(tx store.Tx) error {
		if _, err := s.tokenOwner(ctx, tx, actor, userID); err != nil {
			return err
		}
		toks, err = tx.FindTokens(ctx, userID)
		return err
	})
	return toks, err
}

// RevokeToken revokes token id of user userID (0 for the actor's own):
// the actor's own, or, for a mesh admin or an admin of the user's account,
// the user's. A token that is not userID's is not found, whoever asks, so
// DELETE /me/tokens/{t} never reaches another user's token.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) RevokeToken(ctx context.Context, userID, id int64) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	if userID == 0 {
		userID = actor.UserID
	}
	now := s.clock.Now()
	defer s.tokens.clear()
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.tokenOwner(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		tok, err := tx.FindTokenByID(ctx, id)
		if err == nil && tok.UserID != userID {
			err = mesh.NotFound("token", fmt.Sprint(id))
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteToken(ctx, id); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "token.revoke", fmt.Sprintf("token/%d", id), "user="+userResource(u)+" name="+tok.Name)
	})
}

// tokenOwner returns user userID if actor may manage its tokens: its own,
// or as a mesh admin or an admin of the user's account.
func (s *Service) tokenOwner(ctx context.Context, tx store.Tx, actor *mesh.Actor, userID int64) (*mesh.User, error) {
	if userID == actor.UserID {
		return tx.FindUserByID(ctx, userID)
	}
	return s.managedUser(ctx, tx, actor, userID)
}
