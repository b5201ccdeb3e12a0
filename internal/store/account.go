package store

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
)

// AccountFilter selects accounts, ordered by id. Zero fields match everything.
type AccountFilter struct {
	Organization string
	// AfterID continues a listing: only accounts with a greater id.
	AfterID string
	Limit   int
}

// AccountTx is the account part of a transaction.
type AccountTx interface {
	// CreateAccount inserts a; ECONFLICT when the id is taken.
	CreateAccount(ctx context.Context, a *mesh.Account) error
	// FindAccountByID returns the account, or ENOTFOUND.
	FindAccountByID(ctx context.Context, id string) (*mesh.Account, error)
	// FindAccounts returns accounts matching f ordered by id, at most f.Limit (default 100).
	FindAccounts(ctx context.Context, f AccountFilter) ([]*mesh.Account, error)
	// UpdateAccount stores a's name, organization, email and UpdatedAt; ENOTFOUND when missing.
	UpdateAccount(ctx context.Context, a *mesh.Account) error
	// DeleteAccount removes the account with its users, their sessions and
	// tokens; ENOTFOUND when missing.
	DeleteAccount(ctx context.Context, id string) error

	// LockAccount locks the account's row until the transaction ends
	// (exclusively with forUpdate, else shared), so that an offboarding and
	// a write naming the account as a data owner happen one after the
	// other, never interleaved; ENOTFOUND when missing. (SQLite's single
	// writer orders them anyway.)
	LockAccount(ctx context.Context, id string, forUpdate bool) error

	// RecordOffboardedAccount remembers that an account was offboarded,
	// replacing an earlier record of the same id.
	RecordOffboardedAccount(ctx context.Context, r *mesh.OffboardedAccount) error
	// FindOffboardedAccount returns the record of an offboarded id, or ENOTFOUND.
	FindOffboardedAccount(ctx context.Context, id string) (*mesh.OffboardedAccount, error)
}
