package store

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// UserFilter selects users, ordered by id. Zero fields match everything.
type UserFilter struct {
	AccountID string
	// Role keeps users holding that role.
	Role string
	// AfterID continues a listing: only users with a greater id.
	AfterID int64
	Limit   int
}

// AuthTx is the users, sessions and API tokens part of a transaction.
// Secrets are never stored: sessions and tokens are found by the SHA-256 of
// their secret, users carry an argon2id password hash.
type AuthTx interface {
	// CreateUser inserts u with its password hash and sets u.ID; ECONFLICT
	// when the username is taken or an existing one looks like it (the same
	// mesh.NameSkeleton; the error names it), ENOTFOUND when the account is missing.
	CreateUser(ctx context.Context, u *mesh.User, passwordHash string) error
	// FindUserByID returns the user, or ENOTFOUND.
	FindUserByID(ctx context.Context, id int64) (*mesh.User, error)
	// FindUserByUsername returns the user and its password hash, or ENOTFOUND.
	FindUserByUsername(ctx context.Context, username string) (*mesh.User, string, error)
	// FindUsers returns users matching f ordered by id, at most f.Limit (default 100).
	FindUsers(ctx context.Context, f UserFilter) ([]*mesh.User, error)
	// CountUsers returns how many users exist (zero on a fresh store).
	CountUsers(ctx context.Context) (int, error)
	// UpdateUser stores u's email, roles, MustChangePassword, LastLoginAt and
	// UpdatedAt; ENOTFOUND when missing.
	UpdateUser(ctx context.Context, u *mesh.User) error
	// SetPassword replaces the user's password hash and must-change flag.
	SetPassword(ctx context.Context, userID int64, passwordHash string, mustChange bool, now time.Time) error
	// RecordLogin sets the user's LastLoginAt, and nothing else, when its
	// password hash is still passwordHash ("": whatever it is): ENOTFOUND
	// when the user is gone, ECONFLICT when its password changed since the
	// caller checked it. It writes the user's row, so a password change or
	// reset that comes after it waits for the transaction (PostgreSQL).
	RecordLogin(ctx context.Context, userID int64, at time.Time, passwordHash string) error
	// DeleteUser removes the user with its sessions and tokens; ENOTFOUND when missing.
	DeleteUser(ctx context.Context, id int64) error

	// CreateSession inserts s, found later by hash, and sets s.ID.
	CreateSession(ctx context.Context, s *mesh.Session, hash []byte) error
	// FindSessionByHash returns the session whose secret hashes to hash, or ENOTFOUND.
	FindSessionByHash(ctx context.Context, hash []byte) (*mesh.Session, error)
	// TouchSession records activity on a session (for idle expiry).
	TouchSession(ctx context.Context, id int64, seen time.Time) error
	// DeleteSession removes one session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, id int64) error
	// DeleteUserSessions removes the user's sessions except keepID (0 for none).
	DeleteUserSessions(ctx context.Context, userID, keepID int64) error
	// DeleteExpiredSessions removes sessions that expired before now or were
	// last seen before idleBefore, and returns how many.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error)

	// CreateToken inserts t, found later by hash, and sets t.ID.
	CreateToken(ctx context.Context, t *mesh.Token, hash []byte) error
	// FindTokenByHash returns the token whose secret hashes to hash, or ENOTFOUND.
	FindTokenByHash(ctx context.Context, hash []byte) (*mesh.Token, error)
	// FindTokenByID returns the token, or ENOTFOUND.
	FindTokenByID(ctx context.Context, id int64) (*mesh.Token, error)
	// FindTokens returns the user's tokens ordered by id.
	FindTokens(ctx context.Context, userID int64) ([]*mesh.Token, error)
	// TouchToken records a use of the token.
	TouchToken(ctx context.Context, id int64, used time.Time) error
	// DeleteToken revokes the token; ENOTFOUND when missing.
	DeleteToken(ctx context.Context, id int64) error
	// DeleteUserTokens revokes every token of the user and returns how many.
	DeleteUserTokens(ctx context.Context, userID int64) (int, error)
}

// AuthListener is implemented by stores that can tell a replica at once that
// another one ended or narrowed API tokens (PostgreSQL, with LISTEN/NOTIFY),
// so that it forgets the tokens it cached.
type AuthListener interface {
	// ListenAuth calls changed after each such change committed, and
	// whenever it (re)starts listening, until ctx ends.
	ListenAuth(ctx context.Context, changed func()) error
}
