package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const grantColumns = `id, principal, database, tbl, col_mode, columns, permissions, grantable, status, share_id, source, granted_by, created_at, updated_at, version`

// isAccessUnique reports whether an INSERT ... ON CONFLICT DO NOTHING
// RETURNING found the row taken. (Conflicts are not left to raise errors:
// an error would abort the whole transaction.)
func isAccessUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pe) && pe.Code == "23505")
}

// accessAffected wraps a failed write, and turns one that touched no row into ENOTFOUND.
func accessAffected(tag pgconn.CommandTag, err error, kind string, id int64) error {
	if err != nil {
		return fmt.Errorf("write %s %d: %w", kind, id, err)
	}
	return affectedOne(tag, kind, fmt.Sprint(id))
}

// CreateGrant stores g and sets its ID.
func (tx *Tx) CreateGrant(ctx context.Context, g *mesh.Grant) error {
	tbl, mode, cols := store.EncodeResource(g.Resource)
	err := tx.tx.QueryRow(ctx, `INSERT INTO grants
		(principal, account_id, is_user, database, tbl, col_mode, columns, permissions, grantable, status, share_id, source, granted_by, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, `+tx.writeVersion()+`)
		ON CONFLICT DO NOTHING RETURNING id`,
		string(g.Principal), g.Principal.Account(), !g.Principal.IsAccount(), g.Resource.Database, tbl, mode, cols,
		int64(g.Permissions), int64(g.Grantable), g.Status, g.ShareID, string(g.Source), g.GrantedBy,
		g.CreatedAt, g.UpdatedAt).Scan(&g.ID)
	if isAccessUnique(err) {
		return mesh.Errorf(mesh.ECONFLICT, "%s already has a grant on %s from %q", g.Principal, g.Resource, g.Source)
	}
	if err != nil {
		return fmt.Errorf("insert grant: %w", err)
	}
	return nil
}

func scanGrant(row pgx.Row) (*mesh.Grant, error) {
	var g mesh.Grant
	var principal, database, tbl, mode, cols, source string
	var ps, gr int64
	if err := row.Scan(&g.ID, &principal, &database, &tbl, &mode, &cols, &ps, &gr, &g.Status, &g.ShareID, &source, &g.GrantedBy, &g.CreatedAt, &g.UpdatedAt, &g.Version); err != nil {
		return nil, err
	}
	g.Principal, g.Source = mesh.Principal(principal), mesh.Principal(source)
	g.Resource = store.DecodeResource(database, tbl, mode, cols)
	g.Permissions, g.Grantable = mesh.Permissions(ps), mesh.Permissions(gr)
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return &g, nil
}

// FindGrantByID returns a grant, or ENOTFOUND.
func (tx *Tx) FindGrantByID(ctx context.Context, id int64) (*mesh.Grant, error) {
	g, err := scanGrant(tx.tx.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = $1`, id))
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
	return tx.grantByResource(ctx, p, r, source, "")
}

// LockGrantByResource is FindGrantByResource, the row share-locked: an
// update or delete of the grant waits for this transaction.
//
// Unlike other locking statements it keeps the read memo. The lock waits
// only for a transaction changing this grant, after which rows that
// transaction changed too may read newer than the memo's; but what changes
// a memoized row in a way a grant depends on (an account offboarded, a
// database deleted) ends or changes the grant in the same transaction, so
// the grant read under the lock, the newest, is what the caller decides on,
// and a change still to come waits for this transaction and then finds what
// it committed.
func (tx *Tx) LockGrantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal) (*mesh.Grant, error) {
	return tx.grantByResource(ctx, p, r, source, " FOR SHARE")
}

func (tx *Tx) grantByResource(ctx context.Context, p mesh.Principal, r mesh.Resource, source mesh.Principal, lock string) (*mesh.Grant, error) {
	tbl, mode, cols := store.EncodeResource(r)
	// queryRow, unlike QueryRow, does not show the memo the statement: a
	// plain SELECT leaves it as it is anyway, and the locking one keeps it
	// (see LockGrantByResource)
	g, err := scanGrant(tx.tx.queryRow(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE principal = $1 AND database = $2 AND tbl = $3 AND col_mode = $4 AND columns = $5 AND source = $6`+lock,
		[]any{string(p), r.Database, tbl, mode, cols, string(source)}))
	if isNoRows(err) {
		return nil, mesh.NotFound("grant", string(p)+" on "+r.String())
	}
	if err != nil {
		return nil, fmt.Errorf("find grant: %w", err)
	}
	return g, nil
}

// FindGrants returns the grants matching f, by id.
func (tx *Tx) FindGrants(ctx context.Context, f store.GrantFilter) ([]*mesh.Grant, error) {
	var where []string
	var args []any
	eq := func(col string, v any, set bool) {
		if set {
			args = append(args, v)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
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
		// The owned databases are read first and passed as an array: with a
		// subquery in the OR the planner can only walk every grant in id
		// order and filter, while with the array it can use grants_account
		// and grants_resource when the account sees few grants.
		rows, err := tx.tx.Query(ctx, `SELECT name FROM catalog_databases WHERE owner = $1`, f.VisibleTo)
		if err != nil {
			return nil, fmt.Errorf("find grants: owned databases: %w", err)
		}
		owned, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("find grants: owned databases: %w", err)
		}
		args = append(args, f.VisibleTo, owned)
		where = append(where, fmt.Sprintf("(account_id = $%d OR database = ANY($%d))", len(args)-1, len(args)))
	}
	if f.SinceVersion > 0 {
		args = append(args, f.SinceVersion)
		where = append(where, "version > $"+strconv.Itoa(len(args)))
	}
	if f.UntilVersion > 0 {
		args = append(args, f.UntilVersion)
		where = append(where, "version <= $"+strconv.Itoa(len(args)))
	}
	if f.AfterID > 0 {
		args = append(args, f.AfterID)
		where = append(where, "id > $"+strconv.Itoa(len(args)))
	}
	q := `SELECT ` + grantColumns + ` FROM grants`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find grants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Grant, error) { return scanGrant(row) })
	if err != nil {
		return nil, fmt.Errorf("find grants: %w", err)
	}
	return out, nil
}

// UpdateGrant saves g's mutable fields.
func (tx *Tx) UpdateGrant(ctx context.Context, g *mesh.Grant) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE grants SET permissions = $1, grantable = $2, status = $3, share_id = $4, source = $5, granted_by = $6, updated_at = $7,
		version = `+tx.writeVersion()+` WHERE id = $8`,
		int64(g.Permissions), int64(g.Grantable), g.Status, g.ShareID, string(g.Source), g.GrantedBy, g.UpdatedAt, g.ID)
	return accessAffected(tag, err, "grant", g.ID)
}

// DeleteGrant removes a grant and leaves its tombstone.
func (tx *Tx) DeleteGrant(ctx context.Context, id int64) error {
	if err := tx.mustBump("delete a grant"); err != nil {
		return err
	}
	tag, err := tx.tx.Exec(ctx, `DELETE FROM grants WHERE id = $1`, id)
	if err := accessAffected(tag, err, "grant", id); err != nil {
		return err
	}
	if _, err := tx.tx.Exec(ctx, `INSERT INTO grant_tombstones (version, grant_id) SELECT version, $1 FROM access_version WHERE id = 1`, id); err != nil {
		return fmt.Errorf("grant %d tombstone: %w", id, err)
	}
	return nil
}

// FindGrantTombstones returns the ids of grants deleted after sinceVersion.
func (tx *Tx) FindGrantTombstones(ctx context.Context, sinceVersion int64) ([]int64, error) {
	rows, err := tx.tx.Query(ctx, `SELECT grant_id FROM grant_tombstones WHERE version > $1 ORDER BY version`, sinceVersion)
	if err != nil {
		return nil, fmt.Errorf("find grant tombstones: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find grant tombstones: %w", err)
	}
	return out, nil
}

// PruneGrantTombstones forgets tombstones and owner changes at or before version.
func (tx *Tx) PruneGrantTombstones(ctx context.Context, version int64) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM grant_tombstones WHERE version <= $1`, version); err != nil {
		return fmt.Errorf("prune grant tombstones: %w", err)
	}
	if _, err := tx.tx.Exec(ctx, `DELETE FROM link_tombstones WHERE version <= $1`, version); err != nil {
		return fmt.Errorf("prune link tombstones: %w", err)
	}
	if _, err := tx.tx.Exec(ctx, `DELETE FROM owner_changes WHERE version <= $1`, version); err != nil {
		return fmt.Errorf("prune owner changes: %w", err)
	}
	return nil
}

// RecordOwnerChange records database's new owner at the current access version.
func (tx *Tx) RecordOwnerChange(ctx context.Context, database, owner string) error {
	if err := tx.mustBump("record an owner"); err != nil {
		return err
	}
	if _, err := tx.tx.Exec(ctx, `INSERT INTO owner_changes (version, database, owner) SELECT version, $1, $2 FROM access_version WHERE id = 1`, database, owner); err != nil {
		return fmt.Errorf("record owner of %s: %w", database, err)
	}
	return nil
}

// FindOwnerChanges returns the latest owner of each database changed after sinceVersion.
func (tx *Tx) FindOwnerChanges(ctx context.Context, sinceVersion int64) (map[string]string, error) {
	// A transaction records at most one owner per database and version
	// (the catalog's row lock orders changes to one database), so the
	// version orders them.
	rows, err := tx.tx.Query(ctx, `SELECT database, owner FROM owner_changes WHERE version > $1 ORDER BY version`, sinceVersion)
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

const shareColumns = `id, account_id, database, tbl, status, created_at, updated_at`

func scanShare(row pgx.Row) (*mesh.Share, error) {
	var s mesh.Share
	if err := row.Scan(&s.ID, &s.AccountID, &s.Database, &s.Table, &s.Status, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s, nil
}

// CreateShare stores s and sets its ID.
func (tx *Tx) CreateShare(ctx context.Context, s *mesh.Share) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO shares (account_id, database, tbl, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
		s.AccountID, s.Database, s.Table, s.Status, s.CreatedAt, s.UpdatedAt).Scan(&s.ID)
	if isAccessUnique(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %s already has a share of %s", s.AccountID, s.Database)
	}
	if err != nil {
		return fmt.Errorf("insert share: %w", err)
	}
	return nil
}

// CreateShareLinked makes the share and its link in one statement.
func (tx *Tx) CreateShareLinked(ctx context.Context, s *mesh.Share, l *mesh.ResourceLink) error {
	var link *int64
	err := tx.tx.QueryRow(ctx, `WITH s AS (
			INSERT INTO shares (account_id, database, tbl, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING RETURNING id),
		l AS (
			INSERT INTO resource_links (account_id, name, database, tbl, share_id, created_at, version)
			SELECT $1, $7, $2, $3, s.id, $8, `+tx.writeVersion()+` FROM s
			ON CONFLICT DO NOTHING RETURNING id)
		SELECT s.id, (SELECT id FROM l) FROM s`,
		s.AccountID, s.Database, s.Table, s.Status, s.CreatedAt, s.UpdatedAt, l.Name, l.CreatedAt).Scan(&s.ID, &link)
	if isNoRows(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %s already has a share of %s", s.AccountID, s.Database)
	}
	if err != nil {
		return fmt.Errorf("insert share and link: %w", err)
	}
	l.AccountID, l.Database, l.Table, l.ShareID = s.AccountID, s.Database, s.Table, s.ID
	if link == nil {
		return store.LinkNameTaken(l.AccountID, l.Name)
	}
	l.ID = *link
	return nil
}

// FindShareByID returns a share, or ENOTFOUND.
func (tx *Tx) FindShareByID(ctx context.Context, id int64) (*mesh.Share, error) {
	s, err := scanShare(tx.tx.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = $1`, id))
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
	s, err := scanShare(tx.tx.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE account_id = $1 AND database = $2 AND tbl = $3`,
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
			args = append(args, c.v)
			where = append(where, c.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	q := `SELECT ` + shareColumns + ` FROM shares`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := tx.tx.Query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("find shares: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Share, error) { return scanShare(row) })
	if err != nil {
		return nil, fmt.Errorf("find shares: %w", err)
	}
	return out, nil
}

// UpdateShare saves s's status.
func (tx *Tx) UpdateShare(ctx context.Context, s *mesh.Share) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE shares SET status = $1, updated_at = $2 WHERE id = $3`, s.Status, s.UpdatedAt, s.ID)
	return accessAffected(tag, err, "share", s.ID)
}

// DeleteShare removes a share.
func (tx *Tx) DeleteShare(ctx context.Context, id int64) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM shares WHERE id = $1`, id)
	return accessAffected(tag, err, "share", id)
}

const invitationColumns = `id, share_id, account_id, database, tbl, status, sent_by, created_at, expires_at, decided_by, decided_at`

func scanInvitation(row pgx.Row) (*mesh.Invitation, error) {
	var inv mesh.Invitation
	var decided *time.Time
	if err := row.Scan(&inv.ID, &inv.ShareID, &inv.AccountID, &inv.Database, &inv.Table, &inv.Status, &inv.SentBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.DecidedBy, &decided); err != nil {
		return nil, err
	}
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	if decided != nil {
		inv.DecidedAt = decided.UTC()
	}
	return &inv, nil
}

// CreateInvitation stores inv and sets its ID.
func (tx *Tx) CreateInvitation(ctx context.Context, inv *mesh.Invitation) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO invitations (share_id, account_id, database, tbl, status, sent_by, created_at, expires_at, decided_by, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		inv.ShareID, inv.AccountID, inv.Database, inv.Table, inv.Status, inv.SentBy, inv.CreatedAt, inv.ExpiresAt, inv.DecidedBy, optTime(inv.DecidedAt)).Scan(&inv.ID)
	if err != nil {
		return fmt.Errorf("insert invitation: %w", err)
	}
	return nil
}

// FindInvitationByID returns an invitation, or ENOTFOUND.
func (tx *Tx) FindInvitationByID(ctx context.Context, id int64) (*mesh.Invitation, error) {
	inv, err := scanInvitation(tx.tx.QueryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = $1`, id))
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
	add := func(col string, v any) {
		args = append(args, v)
		where = append(where, col+" = $"+strconv.Itoa(len(args)))
	}
	if f.AccountID != "" {
		add("account_id", f.AccountID)
	}
	if f.ShareID != 0 {
		add("share_id", f.ShareID)
	}
	if f.Status != "" {
		add("status", f.Status)
	}
	if f.BeforeID != 0 {
		args = append(args, f.BeforeID)
		where = append(where, "id < $"+strconv.Itoa(len(args)))
	}
	q := `SELECT ` + invitationColumns + ` FROM invitations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Invitation, error) { return scanInvitation(row) })
	if err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	return out, nil
}

// UpdateInvitation saves inv's status, expiry and decision.
func (tx *Tx) UpdateInvitation(ctx context.Context, inv *mesh.Invitation) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE invitations SET status = $1, expires_at = $2, decided_by = $3, decided_at = $4, sent_by = $5 WHERE id = $6`,
		inv.Status, inv.ExpiresAt, inv.DecidedBy, optTime(inv.DecidedAt), inv.SentBy, inv.ID)
	return accessAffected(tag, err, "invitation", inv.ID)
}

const linkColumns = `id, account_id, name, database, tbl, share_id, created_at`

func scanLink(row pgx.Row) (*mesh.ResourceLink, error) {
	var l mesh.ResourceLink
	if err := row.Scan(&l.ID, &l.AccountID, &l.Name, &l.Database, &l.Table, &l.ShareID, &l.CreatedAt); err != nil {
		return nil, err
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return &l, nil
}

// CreateResourceLink stores l and sets its ID.
func (tx *Tx) CreateResourceLink(ctx context.Context, l *mesh.ResourceLink) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO resource_links (account_id, name, database, tbl, share_id, created_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, `+tx.writeVersion()+`) ON CONFLICT DO NOTHING RETURNING id`,
		l.AccountID, l.Name, l.Database, l.Table, l.ShareID, l.CreatedAt).Scan(&l.ID)
	if isAccessUnique(err) {
		if links, ferr := tx.FindResourceLinks(ctx, "", l.ShareID); ferr == nil && len(links) > 0 {
			return mesh.Errorf(mesh.ECONFLICT, "share %d already has a resource link: %s/%s", l.ShareID, links[0].AccountID, links[0].Name)
		}
		return store.LinkNameTaken(l.AccountID, l.Name)
	}
	if err != nil {
		return fmt.Errorf("insert resource link: %w", err)
	}
	return nil
}

// FindResourceLink returns the account's link named name, or ENOTFOUND.
func (tx *Tx) FindResourceLink(ctx context.Context, accountID, name string) (*mesh.ResourceLink, error) {
	l, err := scanLink(tx.tx.QueryRow(ctx, `SELECT `+linkColumns+` FROM resource_links WHERE account_id = $1 AND name = $2`, accountID, name))
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
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find resource links: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.ResourceLink, error) { return scanLink(row) })
	if err != nil {
		return nil, fmt.Errorf("find resource links: %w", err)
	}
	return out, nil
}

// resourceLinksQuery selects the links of an account and of a share (""
// and 0: any), naming only the columns asked for, so that an index finds
// them: a condition true of every row when its argument is empty makes a
// plan that reads every link.
func resourceLinksQuery(accountID string, shareID int64) (string, []any) {
	var where []string
	var args []any
	if accountID != "" {
		args = append(args, accountID)
		where = append(where, "account_id = $"+strconv.Itoa(len(args)))
	}
	if shareID != 0 {
		args = append(args, shareID)
		where = append(where, "share_id = $"+strconv.Itoa(len(args)))
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
	rows, err := tx.tx.Query(ctx, `SELECT `+linkColumns+` FROM resource_links WHERE version > $1 AND version <= $2 ORDER BY id`,
		sinceVersion, untilVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("find resource link changes: %w", err)
	}
	made, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.ResourceLink, error) { return scanLink(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("find resource link changes: %w", err)
	}
	rows, err = tx.tx.Query(ctx, `SELECT link_id FROM link_tombstones WHERE version > $1 AND version <= $2 ORDER BY version`,
		sinceVersion, untilVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("find link tombstones: %w", err)
	}
	deleted, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, nil, fmt.Errorf("find link tombstones: %w", err)
	}
	return made, deleted, nil
}

// DeleteResourceLink removes a link and leaves its tombstone.
func (tx *Tx) DeleteResourceLink(ctx context.Context, id int64) error {
	if err := tx.mustBump("delete a resource link"); err != nil {
		return err
	}
	tag, err := tx.tx.Exec(ctx, `DELETE FROM resource_links WHERE id = $1`, id)
	if err := accessAffected(tag, err, "resource link", id); err != nil {
		return err
	}
	if _, err := tx.tx.Exec(ctx, `INSERT INTO link_tombstones (version, link_id) SELECT version, $1 FROM access_version WHERE id = 1`, id); err != nil {
		return fmt.Errorf("resource link %d tombstone: %w", id, err)
	}
	return nil
}

// AccessVersion returns the access version.
func (tx *Tx) AccessVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := tx.tx.QueryRow(ctx, `SELECT version FROM access_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read access version: %w", err)
	}
	return v, nil
}

// Access versions. A transaction that changes access takes the access
// lock (an advisory lock of the schema) before its first change: shared when
// it only adds (AddAccessVersion), exclusive when it bumps
// (BumpAccessVersion), and then takes the version's row lock by
// incrementing it. Writes carry the version: a bump's, read in the
// statement, or, in a transaction that only adds, the placeholder
// unstamped, which queueStamp replaces with the version the transaction
// increments to just before it commits. So transactions that
// add run alongside one another and hold the version's row only through
// their commit, a bump waits for every one of them (and they for it), and
// versions still follow the order of the commits, as a replica's refresh
// needs: a version is taken under the row lock held to the commit.
type accessMode uint8

const (
	accessNone accessMode = iota
	accessAdding
	accessBumped
)

// unstamped is the version of a row an adding transaction wrote; no
// committed row carries it.
const unstamped = "-1"

// The access lock, shared or exclusive: its key names the schema, so that
// stores sharing a database do not wait for each other.
const (
	// 1633903475 is "accs".
	accessLockShared    = `SELECT pg_advisory_xact_lock_shared(1633903475, hashtext(current_schema()))`
	accessLockExclusive = `SELECT pg_advisory_xact_lock(1633903475, hashtext(current_schema()))`
	// bumpSQL increments the version. The same statement notifies the
	// replicas' listeners (see ListenAccess), once the transaction commits:
	// the payload is the schema alone, so that the notices of a
	// transaction's several changes (a batch of grants) reach each
	// listener as one, which PostgreSQL folds identical notices of a
	// transaction into.
	bumpSQL = `UPDATE access_version SET version = version + 1
		FROM (SELECT pg_notify($1, current_schema())) AS notice WHERE id = 1 RETURNING version`
	currentVersion = `(SELECT version FROM access_version WHERE id = 1)`
	stampGrantsSQL = `UPDATE grants SET version = ` + currentVersion + ` WHERE version = ` + unstamped
	stampLinksSQL  = `UPDATE resource_links SET version = ` + currentVersion + ` WHERE version = ` + unstamped
)

// accessState is how a transaction holds the access version: mode, the
// version it bumped or stamped to last, and whether it wrote rows it
// stamps at its commit. It is kept as a Local value of the transaction, so
// that rolling back to a savepoint, which undoes the locks, the bump and
// the writes made since, brings back the state of then.
type accessState struct {
	mode      accessMode
	version   int64
	unstamped bool
}

type accessStateKey struct{}

func (tx *Tx) accessState() accessState {
	st, _ := tx.Local(accessStateKey{}).(accessState)
	return st
}

func (tx *Tx) setAccessState(st accessState) { tx.SetLocal(accessStateKey{}, st) }

// writeVersion is the version expression of a grant or link written now.
func (tx *Tx) writeVersion() string {
	st := tx.accessState()
	if st.mode != accessAdding {
		return currentVersion
	}
	if !st.unstamped {
		st.unstamped = true
		tx.setAccessState(st)
	}
	return unstamped
}

// mustBump refuses what only a transaction that bumped may do.
func (tx *Tx) mustBump(what string) error {
	if tx.accessState().mode == accessAdding {
		return fmt.Errorf("postgres: %s in a transaction that only adds access: bump the access version first", what)
	}
	return nil
}

// AddAccessVersion takes the access lock shared, with the next statement
// (no round trip of its own); the version comes at the commit (0 now).
func (tx *Tx) AddAccessVersion(ctx context.Context) (int64, error) {
	st := tx.accessState()
	if st.mode == accessNone {
		tx.tx.deferStatement(accessLockShared)
		st.mode = accessAdding
		tx.setAccessState(st)
	}
	return st.version, nil
}

// BumpAccessVersion takes the access lock exclusive, increments the
// version and returns it, in one round trip. In a transaction that added
// first, it waits for the other adding transactions to end and stamps its
// own rows with the version.
func (tx *Tx) BumpAccessVersion(ctx context.Context) (int64, error) {
	st := tx.accessState()
	b := &pgx.Batch{}
	lock := st.mode != accessBumped
	if lock {
		b.Queue(accessLockExclusive)
	}
	queueBump(b, st.unstamped)
	v, err := tx.runBump(ctx, b, lock, st.unstamped)
	if err != nil {
		return 0, fmt.Errorf("bump access version: %w", err)
	}
	tx.setAccessState(accessState{mode: accessBumped, version: v})
	return v, nil
}

// runBump sends b: the exclusive lock when lock, bumpSQL, and the stamps
// when stamp; it returns the version.
func (tx *Tx) runBump(ctx context.Context, b *pgx.Batch, lock, stamp bool) (int64, error) {
	br, err := tx.tx.sendBatch(ctx, b)
	if err != nil {
		return 0, err
	}
	defer br.Close()
	if lock {
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
	}
	v, err := readBump(br, stamp)
	if err != nil {
		return 0, err
	}
	return v, br.Close()
}

// queueBump queues the version's increment and, when stamp, the stamps of
// the transaction's unstamped rows with the new version.
func queueBump(b *pgx.Batch, stamp bool) {
	b.Queue(bumpSQL, accessChannel)
	if stamp {
		b.Queue(stampGrantsSQL)
		b.Queue(stampLinksSQL)
	}
}

// readBump reads the version bumpSQL returned and, when stamp, the two
// stamps' results that follow it.
func readBump(br pgx.BatchResults, stamp bool) (int64, error) {
	var v int64
	if err := br.QueryRow().Scan(&v); err != nil {
		return 0, err
	}
	for i := 0; stamp && i < 2; i++ {
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
	}
	return v, nil
}

// queueStamp, just before the commit, queues in b the statements that give
// an adding transaction's rows the version it increments to; read reads
// their results once b has run. Nothing when no row waits for a version.
func (tx *Tx) queueStamp(b *pgx.Batch) (read func(pgx.BatchResults) error) {
	st := tx.accessState()
	if st.mode != accessAdding || !st.unstamped {
		return func(pgx.BatchResults) error { return nil }
	}
	queueBump(b, true)
	return func(br pgx.BatchResults) error {
		v, err := readBump(br, true)
		if err != nil {
			return fmt.Errorf("stamp access version: %w", err)
		}
		tx.setAccessState(accessState{mode: accessAdding, version: v})
		return nil
	}
}

// CommittedAccessVersion returns the version tx bumped or stamped to last.
func (tx *Tx) CommittedAccessVersion() int64 { return tx.accessState().version }

// accessChannel is the LISTEN/NOTIFY channel of access changes. Its payload
// is the schema, so that stores sharing a database in different schemas
// tell their changes apart. (Earlier versions sent "schema:version", which
// ListenAccess still accepts from replicas not yet upgraded.)
const accessChannel = "meshgate_access"

// ListenAccess calls changed whenever a connection commits an access change
// to this store, until ctx ends, as listen does: also each time it starts
// listening, the periodic refresh bounding what a gap may miss.
func (db *DB) ListenAccess(ctx context.Context, changed func()) error {
	return db.listen(ctx, accessChannel, func(payload, schema string) bool {
		return payload == schema || strings.HasPrefix(payload, schema+":")
	}, changed)
}

// FindAccessChanges reads the access version and what changed after since
// up to it in one round trip: each read is bounded by the version read in
// the same statement (and by since+limit), a range a generic plan finds
// through the version indexes.
func (tx *Tx) FindAccessChanges(ctx context.Context, since, limit int64) (*store.AccessChanges, error) {
	const until = `LEAST((SELECT version FROM access_version WHERE id = 1), $2)`
	b := &pgx.Batch{}
	b.Queue(`SELECT version FROM access_version WHERE id = 1`)
	args := []any{since, since + limit}
	b.Queue(`SELECT `+grantColumns+` FROM grants WHERE version > $1 AND version <= `+until+` ORDER BY id`, args...)
	b.Queue(`SELECT grant_id FROM grant_tombstones WHERE version > $1 AND version <= `+until+` ORDER BY version`, args...)
	b.Queue(`SELECT database, owner FROM owner_changes WHERE version > $1 AND version <= `+until+` ORDER BY version`, args...)
	b.Queue(`SELECT `+linkColumns+` FROM resource_links WHERE version > $1 AND version <= `+until+` ORDER BY id`, args...)
	b.Queue(`SELECT link_id FROM link_tombstones WHERE version > $1 AND version <= `+until+` ORDER BY version`, args...)
	br := tx.tx.SendBatch(ctx, b)
	defer br.Close()
	c := &store.AccessChanges{Owners: map[string]string{}}
	err := br.QueryRow().Scan(&c.Version)
	if err == nil {
		c.Grants, err = collectNext(br, func(row pgx.CollectableRow) (*mesh.Grant, error) { return scanGrant(row) })
	}
	if err == nil {
		c.GrantsGone, err = collectNext(br, pgx.RowTo[int64])
	}
	if err == nil {
		_, err = collectNext(br, func(row pgx.CollectableRow) (struct{}, error) {
			var db, owner string
			err := row.Scan(&db, &owner)
			c.Owners[db] = owner // in version order: the last one stays
			return struct{}{}, err
		})
	}
	if err == nil {
		c.Links, err = collectNext(br, func(row pgx.CollectableRow) (*mesh.ResourceLink, error) { return scanLink(row) })
	}
	if err == nil {
		c.LinksGone, err = collectNext(br, pgx.RowTo[int64])
	}
	if err != nil {
		return nil, fmt.Errorf("find access changes: %w", err)
	}
	return c, br.Close()
}

// collectNext reads the next result of a batch as CollectRows does.
func collectNext[T any](br pgx.BatchResults, fn pgx.RowToFunc[T]) ([]T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, fn)
}
