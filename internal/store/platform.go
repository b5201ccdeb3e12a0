package store

import (
	"context"
	"time"
)

// PlatformRecord is a registered data platform as the store keeps it. The DSN
// holds no password: PasswordRef names where the password is read from
// (env:NAME or file:/path), so no secret reaches the store.
type PlatformRecord struct {
	ID          int64
	Name        string
	Kind        string
	DSN         string
	PasswordRef string
	AccountID   string
	// RoleMode is "per_user" (a role per meshgate user) or "fixed" (RoleMap).
	RoleMode string
	// RoleMap is the fixed mapping of principals to platform roles, as JSON.
	RoleMap string
	// Schemas lists, as JSON, the schemas sync imports (all when empty).
	Schemas     string
	CreateRoles bool
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PlatformObject maps a catalog object imported from a platform to the
// platform's own names: a schema (Table and Column empty), a table (Column
// empty) or a column.
type PlatformObject struct {
	PlatformID   int64
	Database     string
	Table        string
	Column       string
	NativeSchema string
	NativeTable  string
	NativeColumn string
}

// PlatformChange is an outbox entry: the privileges of a database (Table
// empty) or of one table need applying on a platform.
type PlatformChange struct {
	ID         int64
	PlatformID int64
	Database   string
	Table      string
	Attempts   int
	NextAt     time.Time
	LastError  string
	CreatedAt  time.Time
}

// Platform grant states.
const (
	PlatformPending = "pending"
	PlatformInForce = "in_force"
	PlatformFailed  = "failed"
)

// PlatformGrantStatus is whether a grant is in force on a platform.
type PlatformGrantStatus struct {
	GrantID    int64
	PlatformID int64
	State      string
	Error      string
	UpdatedAt  time.Time
}

// PlatformTx is the data-platform part of a transaction: registrations, the
// names of imported objects, the outbox of privilege changes and each
// grant's state on each platform.
type PlatformTx interface {
	// CreatePlatform stores p and sets its ID; ECONFLICT if the name is taken.
	CreatePlatform(ctx context.Context, p *PlatformRecord) error
	// FindPlatform returns a platform by name, or ENOTFOUND.
	FindPlatform(ctx context.Context, name string) (*PlatformRecord, error)
	// FindPlatformByID returns a platform by id, or ENOTFOUND.
	FindPlatformByID(ctx context.Context, id int64) (*PlatformRecord, error)
	// FindPlatforms returns every platform in name order.
	FindPlatforms(ctx context.Context) ([]*PlatformRecord, error)
	// DeletePlatform removes a platform with its objects, outbox entries and
	// grant states; ENOTFOUND if it is gone.
	DeletePlatform(ctx context.Context, id int64) error

	// PutPlatformObject stores or replaces the mapping of one catalog object.
	PutPlatformObject(ctx context.Context, o PlatformObject) error
	// DeletePlatformObject removes a catalog object's mapping and, for a
	// table, its columns' (and for a database, everything in it).
	DeletePlatformObject(ctx context.Context, database, table, column string) error
	// FindPlatformObjects returns a platform's mapped objects of database
	// (every database when empty), ordered by database, table, column.
	FindPlatformObjects(ctx context.Context, platformID int64, database string) ([]PlatformObject, error)
	// FindPlatformOfDatabase returns the id of the platform a catalog
	// database was imported from, or ENOTFOUND.
	FindPlatformOfDatabase(ctx context.Context, database string) (int64, error)

	// EnqueuePlatformChange adds an outbox entry due at once.
	EnqueuePlatformChange(ctx context.Context, c *PlatformChange) error
	// ClaimPlatformChanges leases up to limit entries due at now until
	// leaseUntil, counting an attempt on each, oldest first.
	ClaimPlatformChanges(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*PlatformChange, error)
	// DeletePlatformChange removes an applied entry.
	DeletePlatformChange(ctx context.Context, id int64) error
	// FailPlatformChange records an entry's error and when to try it again.
	FailPlatformChange(ctx context.Context, id int64, msg string, next time.Time) error
	// CountPlatformChanges returns how many entries a platform has waiting.
	CountPlatformChanges(ctx context.Context, platformID int64) (int, error)

	// SetPlatformGrantStatus stores a grant's state on a platform.
	SetPlatformGrantStatus(ctx context.Context, st PlatformGrantStatus) error
	// DeletePlatformGrantStatus forgets a grant's states on every platform.
	DeletePlatformGrantStatus(ctx context.Context, grantID int64) error
	// FindPlatformGrantStatuses returns the states of a grant (grantID > 0)
	// or of every grant on a platform (platformID > 0), by grant then platform.
	FindPlatformGrantStatuses(ctx context.Context, grantID, platformID int64) ([]PlatformGrantStatus, error)
}
