package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// CreateOIDCLogin keeps l under stateHash; ECONFLICT when it exists.
func (tx *Tx) CreateOIDCLogin(ctx context.Context, stateHash []byte, l *store.OIDCLogin) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, provider, nonce, verifier, return_to, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, stateHash, l.Provider, l.Nonce, l.Verifier, l.Return, formatTime(l.CreatedAt), formatTime(l.ExpiresAt))
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "the sign-in state exists already")
	}
	if err != nil {
		return fmt.Errorf("insert oidc login: %w", err)
	}
	return nil
}

// TakeOIDCLogin removes and returns the login kept under stateHash, or ENOTFOUND.
func (tx *Tx) TakeOIDCLogin(ctx context.Context, stateHash []byte) (*store.OIDCLogin, error) {
	var l store.OIDCLogin
	var created, expires string
	err := tx.tx.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = ?
		RETURNING provider, nonce, verifier, return_to, created_at, expires_at`, stateHash).
		Scan(&l.Provider, &l.Nonce, &l.Verifier, &l.Return, &created, &expires)
	if isNoRows(err) {
		return nil, mesh.NotFound("sign-in state", "")
	}
	if err != nil {
		return nil, fmt.Errorf("take oidc login: %w", err)
	}
	if l.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if l.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, err
	}
	return &l, nil
}

// DeleteExpiredOIDCLogins removes logins that expired before now.
func (tx *Tx) DeleteExpiredOIDCLogins(ctx context.Context, now time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at <= ?`, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired oidc logins: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MarkIDTokenExchanged records the exchange of the ID token whose claims
// hash to claimsHash; ECONFLICT when it is recorded already.
func (tx *Tx) MarkIDTokenExchanged(ctx context.Context, claimsHash []byte, provider string, now, expiresAt time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO oidc_exchanged_tokens (claims_hash, provider, created_at, expires_at)
		VALUES (?, ?, ?, ?)`, claimsHash, provider, formatTime(now), formatTime(expiresAt))
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "the ID token was exchanged already")
	}
	if err != nil {
		return fmt.Errorf("mark id token exchanged: %w", err)
	}
	return nil
}

// DeleteExpiredIDTokenMarks removes the marks of exchanged ID tokens that expired before now.
func (tx *Tx) DeleteExpiredIDTokenMarks(ctx context.Context, now time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM oidc_exchanged_tokens WHERE expires_at <= ?`, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired id token marks: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// LinkIdentity records that the provider's subject is userID; ECONFLICT when linked already.
func (tx *Tx) LinkIdentity(ctx context.Context, provider, subject string, userID int64, now time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO oidc_identities (provider, subject, user_id, created_at) VALUES (?, ?, ?, ?)`,
		provider, subject, userID, formatTime(now))
	switch {
	case isUniqueViolation(err):
		return mesh.Errorf(mesh.ECONFLICT, "subject %q of provider %s, or user %d, is linked already", subject, provider, userID)
	case isFKViolation(err):
		return mesh.NotFound("user", fmt.Sprint(userID))
	case err != nil:
		return fmt.Errorf("link identity: %w", err)
	}
	return nil
}

// FindUserIDByIdentity returns the user linked to the provider's subject, or ENOTFOUND.
func (tx *Tx) FindUserIDByIdentity(ctx context.Context, provider, subject string) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `SELECT user_id FROM oidc_identities WHERE provider = ? AND subject = ?`, provider, subject).Scan(&id)
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
	err := tx.tx.QueryRowContext(ctx, `SELECT provider, subject FROM oidc_identities WHERE user_id = ?`, userID).Scan(&provider, &subject)
	if isNoRows(err) {
		return "", "", mesh.NotFound("identity of user", fmt.Sprint(userID))
	}
	if err != nil {
		return "", "", fmt.Errorf("find identity of user %d: %w", userID, err)
	}
	return provider, subject, nil
}
