package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const grantColumns = `id, principal, database, tbl, col_mode, columns, permissions, grantable, status, share_id, source, granted_by, created_at, updated_at, version`

// CreateGrant stores g and sets its ID.
func (tx *Tx) CreateGrant(ctx context.Context, g *mesh.Grant) error {
	tbl, mode, cols := store.EncodeResource(g.Resource)
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO grants
		(principal, account_id, is_user, database, tbl, col_mode, columns, permissions, grantable, status, share_id, source, granted_by, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT version FROM access_version WHERE id = 1))`,
		string(g.Principal), g.Principal.Account(), !g.Principal.IsAccount(), g.Resource.Database, tbl, mode, cols,
		int64(g.Permissions), int64(g.Grantable), g.Status, g.ShareID, string(g.Source), g.GrantedBy,
		formatTime(g.CreatedAt), formatTime(g.UpdatedAt))
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "%s already has a grant on %s from %q", g.Principal, g.Resource, g.Source)
	}
	if err != nil {
		return fmt.Errorf("insert grant: %w", err)
	}
	g.ID, err = res.LastInsertId()
	return err
}

func scanGrant(sc rowScanner) (*mesh.Grant, error) {
	var g mesh.Grant
	var principal, database, tbl, mode, cols, source, created, updated string
	var ps, gr int64
	if err := sc.Scan(&g.ID, &principal, &database, &tbl, &mode, &cols, &ps, &gr, &g.Status, &g.ShareID, &source, &g.GrantedBy, &created, &updated, &g.Version); err != nil {
		return nil, err
	}
	g.Principal, g.Source = mesh.Principal(principal), mesh.Principal(source)
	g.Resource = store.DecodeResource(database, tbl, mode, cols)
	g.Permissions, g.Grantable = mesh.Permissions(ps), mesh.Permissions(gr)
	var err error
	if g.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if g.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &g, nil
}

// FindGrantByID returns a grant, or ENOTFOUND.
func (tx *Tx) FindGrantByID(ctx context.Context, id int64) (*mesh.Grant, error) {
	g, err := scanGrant(tx.tx.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("grant", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find grant %d: %w", id, err)
	}
	return g, nil
}

// FindGrantByResource returns p's grant on exactly r from source, or ENOTFOUND.
func (tx *Tx) FindGrantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal) (*mesh.Grant, error) {
	tbl, mode, cols := store.EncodeResource(r)
	g, err := scanGrant(tx.tx.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE principal = ? AND database = ? AND tbl = ? AND col_mode = ? AND columns = ? AND source = ?`,
		string(p), r.Database, tbl, mode, cols, string(source)))
	if isNoRows(err) {
		return nil, mesh.NotFound("grant", string(p)+" on "+r.String())
	}
	if err != nil {
		return nil, fmt.Errorf("find grant: %w", err)
	}
	return g, nil
}

// LockGrantByResource is FindGrantByResource: the one writer's
// transaction keeps every row as it read it.
func (tx *Tx) LockGrantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal) (*mesh.Grant, error) {
	return tx.FindGrantByResource(ctx, p, r, source)
}

// FindGrants returns the grants matching f, by id.
func (tx *Tx) FindGrants(ctx context.Context, f store.GrantFilter) ([]*mesh.Grant, error) {
	var where []string
	var args []any
	eq := func(col string, v any, set bool) {
		if set {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	eq("principal", string(f.Principal), f.Principal != "")
	eq("account_id", f.AccountID, f.AccountID != "")
	eq("is_user", true, f.UsersOnly)
	eq("database", f.Database, f.Database != "")
	eq("tbl", f.Table, f.Table != "")
	eq("share_id", f.ShareID, f.ShareID != 0)
	eq("source", string(f.Source), f.Source != "")
	if f.VisibleTo != "" {
		where = append(where, "(account_id = ? OR database IN (SELECT name FROM catalog_databases WHERE owner = ?))")
		args = append(args, f.VisibleTo, f.VisibleTo)
	}
	if f.SinceVersion > 0 {
		where, args = append(where, "version > ?"), append(args, f.SinceVersion)
	}
	if f.UntilVersion > 0 {
		where, args = append(where, "version <= ?"), append(args, f.UntilVersion)
	}
	if f.AfterID > 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	q := `SELECT ` + grantColumns + ` FROM grants`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT ?" // a parameter, so each filter shape is one cached statement
		args = append(args, f.Limit)
	}
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find grants: %w", err)
	}
	return collect(rows, "scan grant", scanGrant)
}

// UpdateGrant saves g's mutable fields.
func (tx *Tx) UpdateGrant(ctx context.Context, g *mesh.Grant) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE grants SET permissions = ?, grantable = ?, status = ?, share_id = ?, source = ?, granted_by = ?, updated_at = ?,
		version = (SELECT version FROM access_version WHERE id = 1) WHERE id = ?`,
		int64(g.Permissions), int64(g.Grantable), g.Status, g.ShareID, string(g.Source), g.GrantedBy, formatTime(g.UpdatedAt), g.ID)
	return accessAffected(res, err, "grant", g.ID)
}

// DeleteGrant removes a grant and leaves its tombstone.
func (tx *Tx) DeleteGrant(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM grants WHERE id = ?`, id)
	if err := accessAffected(res, err, "grant", id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO grant_tombstones (version, grant_id) SELECT version, ? FROM access_version WHERE id = 1`, id); err != nil {
		return fmt.Errorf("grant %d tombstone: %w", id, err)
	}
	return nil
}

// FindGrantTombstones returns the ids of grants deleted after sinceVersion.
func (tx *Tx) FindGrantTombstones(ctx context.Context, sinceVersion int64) ([]int64, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT grant_id FROM grant_tombstones WHERE version > ? ORDER BY version`, sinceVersion)
	if err != nil {
		return nil, fmt.Errorf("find grant tombstones: %w", err)
	}
	return collect(rows, "find grant tombstones", func(r rowScanner) (id int64, err error) {
		err = r.Scan(&id)
		return id, err
	})
}

// PruneGrantTombstones forgets tombstones and owner changes at or before version.
func (tx *Tx) PruneGrantTombstones(ctx context.Context, version int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM grant_tombstones WHERE version <= ?`, version); err != nil {
		return fmt.Errorf("prune grant tombstones: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM link_tombstones WHERE version <= ?`, version); err != nil {
		return fmt.Errorf("prune link tombstones: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM owner_changes WHERE version <= ?`, version); err != nil {
		return fmt.Errorf("prune owner changes: %w", err)
	}
	return nil
}

// RecordOwnerChange records database's new owner at the current access version.
func (tx *Tx) RecordOwnerChange(ctx context.Context, database, owner string) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO owner_changes (version, database, owner) SELECT version, ?, ? FROM access_version WHERE id = 1`, database, owner); err != nil {
		return fmt.Errorf("record owner of %s: %w", database, err)
	}
	return nil
}

// FindOwnerChanges returns the latest owner of each database changed after sinceVersion.
func (tx *Tx) FindOwnerChanges(ctx context.Context, sinceVersion int64) (map[string]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT database, owner FROM owner_changes WHERE version > ? ORDER BY version, rowid`, sinceVersion)
	if err != nil {
		return nil, fmt.Errorf("find owner changes: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var db, owner string
		if err := rows.Scan(&db, &owner); err != nil {
			return nil, fmt.Errorf("find owner changes: %w", err)
		}
		out[db] = owner
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find owner changes: %w", err)
	}
	return out, nil
}

// accessAffected wraps a failed write, and turns one that touched no row into ENOTFOUND.
func accessAffected(res sql.Result, err error, kind string, id int64) error {
	if err != nil {
		return fmt.Errorf("write %s %d: %w", kind, id, err)
	}
	return affectedOne(res, kind, fmt.Sprint(id))
}

const shareColumns = `id, account_id, database, tbl, status, created_at, updated_at`

func scanShare(sc rowScanner) (*mesh.Share, error) {
	var s mesh.Share
	var created, updated string
	if err := sc.Scan(&s.ID, &s.AccountID, &s.Database, &s.Table, &s.Status, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	s.UpdatedAt, err = parseTime(updated)
	return &s, err
}

// CreateShare stores s and sets its ID.
func (tx *Tx) CreateShare(ctx context.Context, s *mesh.Share) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO shares (account_id, database, tbl, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.AccountID, s.Database, s.Table, s.Status, formatTime(s.CreatedAt), formatTime(s.UpdatedAt))
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %s already has a share of %s", s.AccountID, s.Database)
	}
	if err != nil {
		return fmt.Errorf("insert share: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

// FindShareByID returns a share, or ENOTFOUND.
func (tx *Tx) FindShareByID(ctx context.Context, id int64) (*mesh.Share, error) {
	s, err := scanShare(tx.tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("share", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find share %d: %w", id, err)
	}
	return s, nil
}

// FindShare returns the account's share of a database or table, or ENOTFOUND.
func (tx *Tx) FindShare(ctx context.Context, accountID, database, table string) (*mesh.Share, error) {
	s, err := scanShare(tx.tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE account_id = ? AND database = ? AND tbl = ?`,
		accountID, database, table))
	if isNoRows(err) {
		return nil, mesh.NotFound("share", accountID+":"+database+"."+table)
	}
	if err != nil {
		return nil, fmt.Errorf("find share: %w", err)
	}
	return s, nil
}

// FindShares returns the shares matching f.
func (tx *Tx) FindShares(ctx context.Context, f store.ShareFilter) ([]*mesh.Share, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"account_id", f.AccountID}, {"database", f.Database}, {"status", f.Status}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	q := `SELECT ` + shareColumns + ` FROM shares`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := tx.tx.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("find shares: %w", err)
	}
	return collect(rows, "scan share", scanShare)
}

// UpdateShare saves s's status.
func (tx *Tx) UpdateShare(ctx context.Context, s *mesh.Share) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE shares SET status = ?, updated_at = ? WHERE id = ?`, s.Status, formatTime(s.UpdatedAt), s.ID)
	return accessAffected(res, err, "share", s.ID)
}

// DeleteShare removes a share.
func (tx *Tx) DeleteShare(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM shares WHERE id = ?`, id)
	return accessAffected(res, err, "share", id)
}

const invitationColumns = `id, share_id, account_id, database, tbl, status, sent_by, created_at, expires_at, decided_by, decided_at`

func scanInvitation(sc rowScanner) (*mesh.Invitation, error) {
	var inv mesh.Invitation
	var created, expires string
	var decided sql.NullString
	if err := sc.Scan(&inv.ID, &inv.ShareID, &inv.AccountID, &inv.Database, &inv.Table, &inv.Status, &inv.SentBy, &created, &expires, &inv.DecidedBy, &decided); err != nil {
		return nil, err
	}
	var err error
	if inv.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if inv.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, err
	}
	if inv.DecidedAt, err = parseNullTime(decided); err != nil {
		return nil, err
	}
	return &inv, nil
}

// CreateInvitation stores inv and sets its ID.
func (tx *Tx) CreateInvitation(ctx context.Context, inv *mesh.Invitation) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO invitations (share_id, account_id, database, tbl, status, sent_by, created_at, expires_at, decided_by, decided_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ShareID, inv.AccountID, inv.Database, inv.Table, inv.Status, inv.SentBy, formatTime(inv.CreatedAt), formatTime(inv.ExpiresAt), inv.DecidedBy, nullTime(inv.DecidedAt))
	if err != nil {
		return fmt.Errorf("insert invitation: %w", err)
	}
	inv.ID, err = res.LastInsertId()
	return err
}

// FindInvitationByID returns an invitation, or ENOTFOUND.
func (tx *Tx) FindInvitationByID(ctx context.Context, id int64) (*mesh.Invitation, error) {
	inv, err := scanInvitation(tx.tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("invitation", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find invitation %d: %w", id, err)
	}
	return inv, nil
}

// FindInvitations returns the invitations matching f, newest first.
func (tx *Tx) FindInvitations(ctx context.Context, f store.InvitationFilter) ([]*mesh.Invitation, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		where, args = append(where, "account_id = ?"), append(args, f.AccountID)
	}
	if f.ShareID != 0 {
		where, args = append(where, "share_id = ?"), append(args, f.ShareID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT ` + invitationColumns + ` FROM invitations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	return collect(rows, "scan invitation", scanInvitation)
}

// UpdateInvitation saves inv's status, expiry and decision.
func (tx *Tx) UpdateInvitation(ctx context.Context, inv *mesh.Invitation) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE invitations SET status = ?, expires_at = ?, decided_by = ?, decided_at = ?, sent_by = ? WHERE id = ?`,
		inv.Status, formatTime(inv.ExpiresAt), inv.DecidedBy, nullTime(inv.DecidedAt), inv.SentBy, inv.ID)
	return accessAffected(res, err, "invitation", inv.ID)
}

const linkColumns = `id, account_id, name, database, tbl, share_id, created_at`

func scanLink(sc rowScanner) (*mesh.ResourceLink, error) {
	var l mesh.ResourceLink
	var created string
	if err := sc.Scan(&l.ID, &l.AccountID, &l.Name, &l.Database, &l.Table, &l.ShareID, &created); err != nil {
		return nil, err
	}
	var err error
	l.CreatedAt, err = parseTime(created)
	return &l, err
}

// CreateResourceLink stores l and sets its ID.
func (tx *Tx) CreateResourceLink(ctx context.Context, l *mesh.ResourceLink) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO resource_links (account_id, name, database, tbl, share_id, created_at, version)
		VALUES (?, ?, ?, ?, ?, ?, (SELECT version FROM access_version WHERE id = 1))`,
		l.AccountID, l.Name, l.Database, l.Table, l.ShareID, formatTime(l.CreatedAt))
	if isUniqueViolation(err) {
		if links, ferr := tx.FindResourceLinks(ctx, "", l.ShareID); ferr == nil && len(links) > 0 {
			return mesh.Errorf(mesh.ECONFLICT, "share %d already has a resource link: %s/%s", l.ShareID, links[0].AccountID, links[0].Name)
		}
		return store.LinkNameTaken(l.AccountID, l.Name)
	}
	if err != nil {
		return fmt.Errorf("insert resource link: %w", err)
	}
	l.ID, err = res.LastInsertId()
	return err
}

// FindResourceLink returns the account's link named name, or ENOTFOUND.
func (tx *Tx) FindResourceLink(ctx context.Context, accountID, name string) (*mesh.ResourceLink, error) {
	l, err := scanLink(tx.tx.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM resource_links WHERE account_id = ? AND name = ?`, accountID, name))
	if isNoRows(err) {
		return nil, mesh.NotFound("resource link", accountID+"/"+name)
	}
	if err != nil {
		return nil, fmt.Errorf("find resource link: %w", err)
	}
	return l, nil
}

// FindResourceLinks returns an account's links by name.
func (tx *Tx) FindResourceLinks(ctx context.Context, accountID string, shareID int64) ([]*mesh.ResourceLink, error) {
	q, args := resourceLinksQuery(accountID, shareID)
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find resource links: %w", err)
	}
	return collect(rows, "scan resource link", scanLink)
}

// resourceLinksQuery selects the links of an account and of a share (""
// and 0: any), naming only the columns asked for, so that an index finds
// them: a condition true of every row when its argument is empty makes a
// plan that reads every link.
func resourceLinksQuery(accountID string, shareID int64) (string, []any) {
	var where []string
	var args []any
	if accountID != "" {
		where, args = append(where, "account_id = ?"), append(args, accountID)
	}
	if shareID != 0 {
		where, args = append(where, "share_id = ?"), append(args, shareID)
	}
	q := `SELECT ` + linkColumns + ` FROM resource_links`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY account_id, name", args
}

// FindResourceLinkChanges returns the links made, and the ids of those
// deleted, after sinceVersion and at or before untilVersion.
func (tx *Tx) FindResourceLinkChanges(ctx context.Context, sinceVersion, untilVersion int64) ([]*mesh.ResourceLink, []int64, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+linkColumns+` FROM resource_links WHERE version > ? AND version <= ? ORDER BY id`,
		sinceVersion, untilVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("find resource link changes: %w", err)
	}
	made, err := collect(rows, "scan resource link", scanLink)
	if err != nil {
		return nil, nil, err
	}
	rows, err = tx.tx.QueryContext(ctx, `SELECT link_id FROM link_tombstones WHERE version > ? AND version <= ? ORDER BY version`,
		sinceVersion, untilVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("find link tombstones: %w", err)
	}
	deleted, err := collect(rows, "find link tombstones", func(r rowScanner) (id int64, err error) {
		err = r.Scan(&id)
		return id, err
	})
	return made, deleted, err
}

// DeleteResourceLink removes a link and leaves its tombstone.
func (tx *Tx) DeleteResourceLink(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM resource_links WHERE id = ?`, id)
	if err := accessAffected(res, err, "resource link", id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO link_tombstones (version, link_id) SELECT version, ? FROM access_version WHERE id = 1`, id); err != nil {
		return fmt.Errorf("resource link %d tombstone: %w", id, err)
	}
	return nil
}

// AccessVersion returns the access version.
func (tx *Tx) AccessVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := tx.tx.QueryRowContext(ctx, `SELECT version FROM access_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read access version: %w", err)
	}
	return v, nil
}

// BumpAccessVersion increments the access version and returns it; after
// AddAccessVersion, the first bump keeps the version it took.
func (tx *Tx) BumpAccessVersion(ctx context.Context) (int64, error) {
	if st := tx.accessState(); st.adding {
		tx.SetLocal(accessStateKey{}, accessState{version: st.version})
		return st.version, nil
	}
	var v int64
	if err := tx.tx.QueryRowContext(ctx, `UPDATE access_version SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("bump access version: %w", err)
	}
	tx.SetLocal(accessStateKey{}, accessState{version: v})
	return v, nil
}

// accessState is the version a transaction bumped to last, and whether it
// took it to add. It is kept as a Local value: a savepoint's rollback
// undoes the bump.
type accessState struct {
	version int64
	adding  bool
}

type accessStateKey struct{}

func (tx *Tx) accessState() accessState {
	st, _ := tx.Local(accessStateKey{}).(accessState)
	return st
}

// AddAccessVersion bumps the version once a transaction: the single
// writer orders every change anyway.
func (tx *Tx) AddAccessVersion(ctx context.Context) (int64, error) {
	if st := tx.accessState(); st.version != 0 {
		return st.version, nil
	}
	v, err := tx.BumpAccessVersion(ctx)
	if err == nil {
		tx.SetLocal(accessStateKey{}, accessState{version: v, adding: true})
	}
	return v, err
}

// CommittedAccessVersion returns the version tx bumped to last.
func (tx *Tx) CommittedAccessVersion() int64 { return tx.accessState().version }
