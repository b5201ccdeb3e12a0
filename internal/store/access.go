package store

import (
	"context"
	"errors"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// GrantFilter selects grants, in id order. Zero fields match everything.
type GrantFilter struct {
	Principal mesh.Principal
	// AccountID matches the account's own grants and its users'.
	AccountID string
	// UsersOnly, with AccountID, leaves out the account's own grants.
	UsersOnly bool
	Database  string
	// Table matches grants on that table (whole or some columns) or, as "*",
	// on all tables; empty matches any.
	Table   string
	ShareID int64
	Source  mesh.Principal
	// VisibleTo matches the grants of that account (its own and its users')
	// or on databases that account owns.
	VisibleTo string
	// SinceVersion matches grants changed after that access version, and
	// UntilVersion those changed at or before it: a replica's refresh asks
	// for both, a range that a cached plan finds through the version index
	// (a bound on one side only is taken to match a third of the grants,
	// which a plan reads whole).
	SinceVersion, UntilVersion int64
	// AfterID continues a listing: only grants with a larger id.
	AfterID int64
	// Limit bounds the result; 0 means no bound.
	Limit int
}

// ShareFilter selects shares, in id order. Zero fields match everything.
type ShareFilter struct {
	AccountID string
	Database  string
	Status    string
}

// InvitationFilter selects invitations, newest first. Zero fields match everything.
type InvitationFilter struct {
	AccountID string
	ShareID   int64
	Status    string
	// BeforeID continues a listing: only invitations with a smaller id.
	BeforeID int64
	// Limit bounds the result; 0 means no bound.
	Limit int
}

// AccessTx is the access part of a transaction: grants, shares, invitations,
// resource links, and the access version that tells replicas their
// in-memory decision index is stale.
type AccessTx interface {
	// CreateGrant stores g and sets its ID; ECONFLICT if the principal
	// already has a grant on exactly that resource from the same source (a
	// principal holds one grant a source: an owner's or mesh admin's, and
	// one from each holder's grant option). Writes to grants record
	// the current access version (bump it first) for incremental refresh.
	CreateGrant(ctx context.Context, g *mesh.Grant) error
	// FindGrantByID returns a grant, or ENOTFOUND.
	FindGrantByID(ctx context.Context, id int64) (*mesh.Grant, error)
	// FindGrantByResource returns p's grant on exactly r (normalized) from
	// source ("" for an owner's or mesh admin's), or ENOTFOUND. FindGrants
	// with Principal, Database and Table finds those of every source.
	FindGrantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal) (*mesh.Grant, error)
	// LockGrantByResource is FindGrantByResource with the grant kept from
	// changing or going until the transaction ends (a shared row lock in
	// PostgreSQL; SQLite's one writer keeps everything), so that a
	// transaction may rely on it without taking the access version.
	LockGrantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal) (*mesh.Grant, error)
	// FindGrants returns the grants matching f.
	FindGrants(ctx context.Context, f GrantFilter) ([]*mesh.Grant, error)
	// UpdateGrant saves g's permissions, grantable set, status, share and
	// source; ENOTFOUND if it is gone.
	UpdateGrant(ctx context.Context, g *mesh.Grant) error
	// DeleteGrant removes a grant, leaving a tombstone at the current access
	// version; ENOTFOUND if it is gone.
	DeleteGrant(ctx context.Context, id int64) error
	// FindGrantTombstones returns the ids of grants deleted after sinceVersion.
	FindGrantTombstones(ctx context.Context, sinceVersion int64) ([]int64, error)
	// PruneGrantTombstones forgets the tombstones of grants and of resource
	// links and the owner changes at or before version.
	PruneGrantTombstones(ctx context.Context, version int64) error
	// RecordOwnerChange records that database is now owned by owner ("" once
	// it is deleted), at the current access version (bump it first).
	RecordOwnerChange(ctx context.Context, database, owner string) error
	// FindOwnerChanges returns the owner of each database whose ownership
	// changed after sinceVersion, as of the latest change ("" for deleted).
	FindOwnerChanges(ctx context.Context, sinceVersion int64) (map[string]string, error)

	// CreateShare stores s and sets its ID; ECONFLICT if the account already
	// has a share of that database or table.
	CreateShare(ctx context.Context, s *mesh.Share) error
	// FindShareByID returns a share, or ENOTFOUND.
	FindShareByID(ctx context.Context, id int64) (*mesh.Share, error)
	// FindShare returns the account's share of database (table empty) or of
	// one table, or ENOTFOUND.
	FindShare(ctx context.Context, accountID, database, table string) (*mesh.Share, error)
	// FindShares returns the shares matching f.
	FindShares(ctx context.Context, f ShareFilter) ([]*mesh.Share, error)
	// UpdateShare saves s's status.
	UpdateShare(ctx context.Context, s *mesh.Share) error
	// DeleteShare removes a share.
	DeleteShare(ctx context.Context, id int64) error

	// CreateInvitation stores inv and sets its ID.
	CreateInvitation(ctx context.Context, inv *mesh.Invitation) error
	// FindInvitationByID returns an invitation, or ENOTFOUND.
	FindInvitationByID(ctx context.Context, id int64) (*mesh.Invitation, error)
	// FindInvitations returns the invitations matching f, newest first.
	FindInvitations(ctx context.Context, f InvitationFilter) ([]*mesh.Invitation, error)
	// UpdateInvitation saves inv's status, expiry and decision.
	UpdateInvitation(ctx context.Context, inv *mesh.Invitation) error

	// CreateResourceLink stores l at the current access version (bump it
	// first) and sets its ID; ECONFLICT if the account already has a link of
	// that name (matching ErrLinkNameTaken), or the share already has a link.
	CreateResourceLink(ctx context.Context, l *mesh.ResourceLink) error
	// FindResourceLink returns the account's link named name, or ENOTFOUND.
	FindResourceLink(ctx context.Context, accountID, name string) (*mesh.ResourceLink, error)
	// FindResourceLinks returns an account's links (all accounts' when
	// accountID is empty), by name; shareID, when not 0, keeps one share's.
	FindResourceLinks(ctx context.Context, accountID string, shareID int64) ([]*mesh.ResourceLink, error)
	// FindResourceLinkChanges returns the links made, and the ids of those
	// deleted, after sinceVersion and at or before untilVersion, as a
	// replica's refresh follows links by difference.
	FindResourceLinkChanges(ctx context.Context, sinceVersion, untilVersion int64) (made []*mesh.ResourceLink, deleted []int64, err error)
	// DeleteResourceLink removes a link, leaving a tombstone at the current
	// access version; ENOTFOUND if it is gone.
	DeleteResourceLink(ctx context.Context, id int64) error

	// AccessVersion returns the access version: it grows with every change
	// to grants or shares.
	AccessVersion(ctx context.Context) (int64, error)
	// BumpAccessVersion increments the access version and returns the new
	// one. Access changes that bump the version are ordered: one waits for
	// another's transaction (on PostgreSQL, for every other transaction
	// holding the version, whether it bumped or added) and so reads what it
	// committed.
	BumpAccessVersion(ctx context.Context) (int64, error)
	// AddAccessVersion takes the access version for changes that only add:
	// grants made or widened (each insert or update of one grant guarded by
	// its unique key or its row lock), shares and resource links made.
	// Such transactions run alongside one another; a BumpAccessVersion
	// waits for them, and they for it. It returns the version their writes
	// carry, or 0 when the store gives them one as the transaction commits
	// (PostgreSQL: the version's row lock is then held only by the commit).
	// A transaction that adds may bump later; then it waits as a bump does.
	// Deleting a grant or link, or recording an owner, needs a bump first.
	AddAccessVersion(ctx context.Context) (int64, error)
	// CommittedAccessVersion returns, once tx has committed, the access
	// version its changes carry: 0 when it took none or wrote nothing.
	CommittedAccessVersion() int64
}

// Column modes of a stored grant's resource.
const (
	ColumnsInclude = "include"
	ColumnsExclude = "exclude"
)

// EncodeResource flattens a resource into the columns both stores keep:
// the table ("" for the database, "*" for all tables), the column mode and
// the sorted column list joined by commas (names cannot hold commas).
func EncodeResource(r mesh.Resource) (table, mode, columns string) {
	r = r.Normalize()
	switch {
	case len(r.Columns) > 0:
		return r.Table, ColumnsInclude, strings.Join(r.Columns, ",")
	case len(r.ExcludedColumns) > 0:
		return r.Table, ColumnsExclude, strings.Join(r.ExcludedColumns, ",")
	}
	return r.Table, "", ""
}

// DecodeResource is the inverse of EncodeResource.
func DecodeResource(database, table, mode, columns string) mesh.Resource {
	r := mesh.Resource{Database: database, Table: table}
	switch mode {
	case ColumnsInclude:
		r.Columns = strings.Split(columns, ",")
	case ColumnsExclude:
		r.ExcludedColumns = strings.Split(columns, ",")
	}
	return r
}

// AccessChanges is what changed in access after a version, as a replica's
// refresh follows it by difference.
type AccessChanges struct {
	// Version is the store's access version; the changes are those after
	// the version asked for, up to it.
	Version    int64
	Grants     []*mesh.Grant        // written (made or changed), by id
	GrantsGone []int64              // deleted: their tombstones
	Owners     map[string]string    // database → its last owner recorded ("" when deleted)
	Links      []*mesh.ResourceLink // made, by id
	LinksGone  []int64              // deleted: their tombstones
}

// AccessChangeReader is implemented by stores that read AccessChanges in
// one round trip (PostgreSQL); FindAccessChanges reads them in any store.
type AccessChangeReader interface {
	FindAccessChanges(ctx context.Context, since, limit int64) (*AccessChanges, error)
}

// FindAccessChanges returns the access version and what changed after
// version since up to it. When the version is not ahead of since, or ahead
// by more than limit, the changes may be left out (a replica that far
// behind reloads everything). tx must read one snapshot throughout (a View
// transaction): the version and the changes are then of one moment.
func FindAccessChanges(ctx context.Context, tx Tx, since, limit int64) (*AccessChanges, error) {
	if r, ok := tx.(AccessChangeReader); ok {
		return r.FindAccessChanges(ctx, since, limit)
	}
	c := &AccessChanges{}
	var err error
	if c.Version, err = tx.AccessVersion(ctx); err != nil || c.Version <= since || c.Version-since > limit {
		return c, err
	}
	if c.Grants, err = tx.FindGrants(ctx, GrantFilter{SinceVersion: since, UntilVersion: c.Version}); err != nil {
		return nil, err
	}
	if c.GrantsGone, err = tx.FindGrantTombstones(ctx, since); err != nil {
		return nil, err
	}
	if c.Owners, err = tx.FindOwnerChanges(ctx, since); err != nil {
		return nil, err
	}
	if c.Links, c.LinksGone, err = tx.FindResourceLinkChanges(ctx, since, c.Version); err != nil {
		return nil, err
	}
	return c, nil
}

// ShareLinker is implemented by stores that make a share and its resource
// link in one round trip (PostgreSQL); CreateShareLinked does it in any.
type ShareLinker interface {
	CreateShareLinked(ctx context.Context, s *mesh.Share, l *mesh.ResourceLink) error
}

// CreateShareLinked stores s and sets its ID and, when that made it, its
// link l: l's name and time as given, the rest of s's (l.ID set). ECONFLICT, with nothing written, when
// the account has the share already; when the account has a link of l's
// name, the share is made and the error matches ErrLinkNameTaken.
func CreateShareLinked(ctx context.Context, tx Tx, s *mesh.Share, l *mesh.ResourceLink) error {
	if sl, ok := tx.(ShareLinker); ok {
		return sl.CreateShareLinked(ctx, s, l)
	}
	if err := tx.CreateShare(ctx, s); err != nil {
		return err
	}
	l.AccountID, l.Database, l.Table, l.ShareID = s.AccountID, s.Database, s.Table, s.ID
	return tx.CreateResourceLink(ctx, l)
}

// AccessListener is implemented by stores that can tell a replica at once
// that another one changed access (PostgreSQL, with LISTEN/NOTIFY).
type AccessListener interface {
	// ListenAccess calls changed after each access change committed, and
	// whenever it (re)starts listening, until ctx ends.
	ListenAccess(ctx context.Context, changed func()) error
}

// ErrLinkNameTaken is matched (errors.Is) by CreateResourceLink's conflict
// when the account has a link of that name already (LinkNameTaken).
var ErrLinkNameTaken = errors.New("the account has a resource link of that name")

// LinkNameTaken is CreateResourceLink's conflict when the account has a
// link named name already: an ECONFLICT *mesh.Error that matches
// ErrLinkNameTaken.
func LinkNameTaken(accountID, name string) error {
	return linkNameTaken{mesh.Errorf(mesh.ECONFLICT, "account %s already has a resource link named %q", accountID, name)}
}

type linkNameTaken struct{ err *mesh.Error }

func (e linkNameTaken) Error() string        { return e.err.Error() }
func (e linkNameTaken) Unwrap() error        { return e.err }
func (e linkNameTaken) Is(target error) bool { return target == ErrLinkNameTaken }
