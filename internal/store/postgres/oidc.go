package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// CreateOIDCLogin keeps l under stateHash; ECONFLICT when it exists.
func (tx *Tx) CreateOIDCLogin(ctx context.Context, stateHash []byte, l *store.OIDCLogin) error {
	tag, err := tx.tx.Exec(ctx, `INSERT INTO oidc_logins (state_hash, provider, nonce, verifier, return_to, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, stateHash, l.Provider, l.Nonce, l.Verifier, l.Return, l.CreatedAt, l.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert oidc login: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "the sign-in state exists already")
	}
	return nil
}

// TakeOIDCLogin removes and returns the login kept under stateHash, or ENOTFOUND.
func (tx *Tx) TakeOIDCLogin(ctx context.Context, stateHash []byte) (*store.OIDCLogin, error) {
	var l store.OIDCLogin
	err := tx.tx.QueryRow(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1
		RETURNING provider, nonce, verifier, return_to, created_at, expires_at`, stateHash).
		Scan(&l.Provider, &l.Nonce, &l.Verifier, &l.Return, &l.CreatedAt, &l.ExpiresAt)
	if isNoRows(err) {
		return nil, mesh.NotFound("sign-in state", "")
	}
	if err != nil {
		return nil, fmt.Errorf("take oidc login: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	return &l, nil
}

// DeleteExpiredOIDCLogins removes logins that expired before now.
func (tx *Tx) DeleteExpiredOIDCLogins(ctx context.Context, now time.Time) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM oidc_logins WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired oidc logins: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// MarkIDTokenExchanged records the exchange of the ID token whose claims
// hash to claimsHash; ECONFLICT when it is recorded already.
func (tx *Tx) MarkIDTokenExchanged(ctx context.Context, claimsHash []byte, provider string, now, expiresAt time.Time) error {
	tag, err := tx.tx.Exec(ctx, `INSERT INTO oidc_exchanged_tokens (claims_hash, provider, created_at, expires_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, claimsHash, provider, now, expiresAt)
	if err != nil {
		return fmt.Errorf("mark id token exchanged: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "the ID token was exchanged already")
	}
	return nil
}

// DeleteExpiredIDTokenMarks removes the marks of exchanged ID tokens that expired before now.
func (tx *Tx) DeleteExpiredIDTokenMarks(ctx context.Context, now time.Time) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM oidc_exchanged_tokens WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired id token marks: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// LinkIdentity records that the provider's subject is userID; ECONFLICT when linked already.
func (tx *Tx) LinkIdentity(ctx context.Context, provider, subject string, userID int64, now time.Time) error {
	var exists bool
	if err := tx.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, userID).Scan(&exists); err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	if !exists {
		return mesh.NotFound("user", fmt.Sprint(userID))
	}
	tag, err := tx.tx.Exec(ctx, `INSERT INTO oidc_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, provider, subject, userID, now)
	if err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "subject %q of provider %s, or user %d, is linked already", subject, provider, userID)
	}
	return nil
}

// FindUserIDByIdentity returns the user linked to the provider's subject, or ENOTFOUND.
func (tx *Tx) FindUserIDByIdentity(ctx context.Context, provider, subject string) (int64, error) {
	var id int64
	err := tx.tx.QueryRow(ctx, `SELECT user_id FROM oidc_identities WHERE provider = $1 AND subject = $2`, provider, subject).Scan(&id)
	if isNoRows(err) {
		return 0, mesh.NotFound("identity", provider+"/"+subject)
	}
	if err != nil {
		return 0, fmt.Errorf("find identity: %w", err)
	}
	return id, nil
}

// IdentityOf returns the provider and subject linked to userID, or ENOTFOUND.
func (tx *Tx) IdentityOf(ctx context.Context, userID int64) (string, string, error) {
	var provider, subject string
	err := tx.tx.QueryRow(ctx, `SELECT provider, subject FROM oidc_identities WHERE user_id = $1`, userID).Scan(&provider, &subject)
	if isNoRows(err) {
		return "", "", mesh.NotFound("identity of user", fmt.Sprint(userID))
	}
	if err != nil {
		return "", "", fmt.Errorf("find identity of user %d: %w", userID, err)
	}
	return provider, subject, nil
}
