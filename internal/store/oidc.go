package store

import (
	"context"
	"time"
)

// OIDCLogin is a sign-in through an OpenID Connect provider that has been
// started and not yet finished: what the callback must find again. It is kept
// server-side, found by the SHA-256 of its state, so every replica finishes
// it and a state is used once.
type OIDCLogin struct {
	Provider string
	// Nonce must come back in the ID token.
	Nonce string
	// Verifier is the PKCE code verifier sent with the code.
	Verifier string
	// Return is where the browser goes once signed in (a local path).
	Return    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OIDCTx is the part of a transaction that keeps sign-ins through OpenID
// Connect providers and the provider identities of users.
type OIDCTx interface {
	// CreateOIDCLogin keeps l under stateHash; ECONFLICT when it exists.
	CreateOIDCLogin(ctx context.Context, stateHash []byte, l *OIDCLogin) error
	// TakeOIDCLogin removes and returns the login kept under stateHash, so a
	// state is used at most once; ENOTFOUND when missing or taken already.
	TakeOIDCLogin(ctx context.Context, stateHash []byte) (*OIDCLogin, error)
	// DeleteExpiredOIDCLogins removes logins that expired before now and returns how many.
	DeleteExpiredOIDCLogins(ctx context.Context, now time.Time) (int, error)

	// MarkIDTokenExchanged records that the ID token whose claims hash to
	// claimsHash was traded for an API token, until expiresAt; ECONFLICT when
	// it was already. Marks are kept apart from logins, so that no state a
	// callback brings can take one.
	MarkIDTokenExchanged(ctx context.Context, claimsHash []byte, provider string, now, expiresAt time.Time) error
	// DeleteExpiredIDTokenMarks removes the marks of exchanged ID tokens that
	// expired before now and returns how many.
	DeleteExpiredIDTokenMarks(ctx context.Context, now time.Time) (int, error)

	// LinkIdentity records that the provider's subject is userID; ECONFLICT
	// when the subject is linked already. The link goes with the user.
	LinkIdentity(ctx context.Context, provider, subject string, userID int64, now time.Time) error
	// FindUserIDByIdentity returns the user linked to the provider's subject, or ENOTFOUND.
	FindUserIDByIdentity(ctx context.Context, provider, subject string) (int64, error)
	// IdentityOf returns the provider and subject linked to userID, or ENOTFOUND
	// for a user that signs in with a password only.
	IdentityOf(ctx context.Context, userID int64) (provider, subject string, err error)
}
