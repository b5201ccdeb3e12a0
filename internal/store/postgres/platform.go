package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const platformCols = `id, name, kind, dsn, password_ref, account_id, role_mode, role_map, schemas, create_roles, created_by, created_at, updated_at`

func scanPlatform(r rowScanner) (*store.PlatformRecord, error) {
	var p store.PlatformRecord
	if err := r.Scan(&p.ID, &p.Name, &p.Kind, &p.DSN, &p.PasswordRef, &p.AccountID, &p.RoleMode, &p.RoleMap, &p.Schemas, &p.CreateRoles, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreatePlatform stores p and sets its ID; ECONFLICT if the name is taken.
func (tx *Tx) CreatePlatform(ctx context.Context, p *store.PlatformRecord) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO platforms (name, kind, dsn, password_ref, account_id, role_mode, role_map, schemas, create_roles, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id`,
		p.Name, p.Kind, p.DSN, p.PasswordRef, p.AccountID, p.RoleMode, p.RoleMap, p.Schemas, p.CreateRoles, p.CreatedBy, p.CreatedAt, p.UpdatedAt).Scan(&p.ID)
	if isAccessUnique(err) {
		return mesh.Errorf(mesh.ECONFLICT, "a platform named %s is already registered", p.Name)
	}
	if err != nil {
		return fmt.Errorf("create platform %s: %w", p.Name, err)
	}
	return nil
}

// FindPlatform returns a platform by name, or ENOTFOUND.
func (tx *Tx) FindPlatform(ctx context.Context, name string) (*store.PlatformRecord, error) {
	p, err := scanPlatform(tx.tx.QueryRow(ctx, `SELECT `+platformCols+` FROM platforms WHERE name = $1`, name))
	if isNoRows(err) {
		return nil, mesh.NotFound("platform", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find platform %s: %w", name, err)
	}
	return p, nil
}

// FindPlatformByID returns a platform by id, or ENOTFOUND.
func (tx *Tx) FindPlatformByID(ctx context.Context, id int64) (*store.PlatformRecord, error) {
	p, err := scanPlatform(tx.tx.QueryRow(ctx, `SELECT `+platformCols+` FROM platforms WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("platform", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("find platform %d: %w", id, err)
	}
	return p, nil
}

// FindPlatforms returns every platform in name order.
func (tx *Tx) FindPlatforms(ctx context.Context) ([]*store.PlatformRecord, error) {
	rows, err := tx.tx.Query(ctx, `SELECT `+platformCols+` FROM platforms ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find platforms: %w", err)
	}
	return collect(rows, "find platforms", scanPlatform)
}

// DeletePlatform removes a platform and everything kept for it.
func (tx *Tx) DeletePlatform(ctx context.Context, id int64) error {
	res, err := tx.tx.Exec(ctx, `DELETE FROM platforms WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete platform %d: %w", id, err)
	}
	if res.RowsAffected() == 0 {
		return mesh.NotFound("platform", fmt.Sprint(id))
	}
	for _, q := range []string{`DELETE FROM platform_objects WHERE platform_id = $1`, `DELETE FROM platform_outbox WHERE platform_id = $1`, `DELETE FROM platform_grant_status WHERE platform_id = $1`} {
		if _, err := tx.tx.Exec(ctx, q, id); err != nil {
			return fmt.Errorf("delete platform %d: %w", id, err)
		}
	}
	return nil
}

// PutPlatformObject stores or replaces the mapping of one catalog object.
func (tx *Tx) PutPlatformObject(ctx context.Context, o store.PlatformObject) error {
	_, err := tx.tx.Exec(ctx, `INSERT INTO platform_objects (platform_id, database, tbl, col, native_schema, native_table, native_column)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (database, tbl, col) DO UPDATE SET platform_id = excluded.platform_id,
		native_schema = excluded.native_schema, native_table = excluded.native_table, native_column = excluded.native_column`,
		o.PlatformID, o.Database, o.Table, o.Column, o.NativeSchema, o.NativeTable, o.NativeColumn)
	if err != nil {
		return fmt.Errorf("put platform object %s.%s.%s: %w", o.Database, o.Table, o.Column, err)
	}
	return nil
}

// DeletePlatformObject removes a mapping and those of what it contains.
func (tx *Tx) DeletePlatformObject(ctx context.Context, database, table, column string) error {
	q, args := `DELETE FROM platform_objects WHERE database = $1`, []any{database}
	switch {
	case column != "":
		q, args = q+` AND tbl = $2 AND col = $3`, append(args, table, column)
	case table != "":
		q, args = q+` AND tbl = $2`, append(args, table)
	}
	if _, err := tx.tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("delete platform object %s.%s.%s: %w", database, table, column, err)
	}
	return nil
}

// FindPlatformObjects returns a platform's mapped objects.
func (tx *Tx) FindPlatformObjects(ctx context.Context, platformID int64, database string) ([]store.PlatformObject, error) {
	q, args := `SELECT platform_id, database, tbl, col, native_schema, native_table, native_column FROM platform_objects WHERE platform_id = $1`, []any{platformID}
	if database != "" {
		q, args = q+` AND database = $2`, append(args, database)
	}
	rows, err := tx.tx.Query(ctx, q+` ORDER BY database, tbl, col`, args...)
	if err != nil {
		return nil, fmt.Errorf("find platform objects: %w", err)
	}
	return collect(rows, "find platform objects", func(r rowScanner) (store.PlatformObject, error) {
		var o store.PlatformObject
		err := r.Scan(&o.PlatformID, &o.Database, &o.Table, &o.Column, &o.NativeSchema, &o.NativeTable, &o.NativeColumn)
		return o, err
	})
}

// FindPlatformOfDatabase returns the platform a database was imported from.
func (tx *Tx) FindPlatformOfDatabase(ctx context.Context, database string) (int64, error) {
	id, ok := tx.Memo().PlatformOfDatabase(database)
	if !ok {
		err := tx.tx.QueryRow(ctx, `SELECT platform_id FROM platform_objects WHERE database = $1 AND tbl = '' AND col = ''`, database).Scan(&id)
		if err != nil && !isNoRows(err) {
			return 0, fmt.Errorf("find platform of %s: %w", database, err)
		}
		tx.Memo().PutPlatformOfDatabase(database, id)
	}
	if id == 0 {
		return 0, mesh.NotFound("platform database", database)
	}
	return id, nil
}

// EnqueuePlatformChange adds an outbox entry due at once.
func (tx *Tx) EnqueuePlatformChange(ctx context.Context, c *store.PlatformChange) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO platform_outbox (platform_id, database, tbl, next_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		c.PlatformID, c.Database, c.Table, c.CreatedAt, c.CreatedAt).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("enqueue platform change: %w", err)
	}
	return nil
}

// ClaimPlatformChanges leases due outbox entries.
func (tx *Tx) ClaimPlatformChanges(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*store.PlatformChange, error) {
	rows, err := tx.tx.Query(ctx, `UPDATE platform_outbox SET next_at = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM platform_outbox WHERE next_at <= $2 ORDER BY id LIMIT $3)
		RETURNING id, platform_id, database, tbl, attempts, next_at, last_error, created_at`,
		leaseUntil, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim platform changes: %w", err)
	}
	out, err := collect(rows, "claim platform changes", func(r rowScanner) (*store.PlatformChange, error) {
		var c store.PlatformChange
		err := r.Scan(&c.ID, &c.PlatformID, &c.Database, &c.Table, &c.Attempts, &c.NextAt, &c.LastError, &c.CreatedAt)
		return &c, err
	})
	if err != nil {
		return nil, err
	}
	sortChanges(out)
	return out, nil
}

// DeletePlatformChange removes an applied entry.
func (tx *Tx) DeletePlatformChange(ctx context.Context, id int64) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM platform_outbox WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete platform change %d: %w", id, err)
	}
	return nil
}

// FailPlatformChange records an entry's error and its next attempt.
func (tx *Tx) FailPlatformChange(ctx context.Context, id int64, msg string, next time.Time) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE platform_outbox SET last_error = $1, next_at = $2 WHERE id = $3`, msg, next, id); err != nil {
		return fmt.Errorf("fail platform change %d: %w", id, err)
	}
	return nil
}

// CountPlatformChanges returns how many entries a platform has waiting.
func (tx *Tx) CountPlatformChanges(ctx context.Context, platformID int64) (int, error) {
	var n int
	if err := tx.tx.QueryRow(ctx, `SELECT COUNT(*) FROM platform_outbox WHERE platform_id = $1`, platformID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count platform changes: %w", err)
	}
	return n, nil
}

// SetPlatformGrantStatus stores a grant's state on a platform.
func (tx *Tx) SetPlatformGrantStatus(ctx context.Context, st store.PlatformGrantStatus) error {
	_, err := tx.tx.Exec(ctx, `INSERT INTO platform_grant_status (grant_id, platform_id, state, error, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (grant_id, platform_id) DO UPDATE SET state = excluded.state, error = excluded.error, updated_at = excluded.updated_at`,
		st.GrantID, st.PlatformID, st.State, st.Error, st.UpdatedAt)
	if err != nil {
		return fmt.Errorf("set platform grant status: %w", err)
	}
	return nil
}

// DeletePlatformGrantStatus forgets a grant's states.
func (tx *Tx) DeletePlatformGrantStatus(ctx context.Context, grantID int64) error {
	if _, err := tx.tx.Exec(ctx, `DELETE FROM platform_grant_status WHERE grant_id = $1`, grantID); err != nil {
		return fmt.Errorf("delete platform grant status: %w", err)
	}
	return nil
}

// FindPlatformGrantStatuses returns the states of a grant or of a platform's grants.
func (tx *Tx) FindPlatformGrantStatuses(ctx context.Context, grantID, platformID int64) ([]store.PlatformGrantStatus, error) {
	q, args := `SELECT grant_id, platform_id, state, error, updated_at FROM platform_grant_status WHERE 1 = 1`, []any{}
	if grantID > 0 {
		q, args = q+fmt.Sprintf(` AND grant_id = $%d`, len(args)+1), append(args, grantID)
	}
	if platformID > 0 {
		q, args = q+fmt.Sprintf(` AND platform_id = $%d`, len(args)+1), append(args, platformID)
	}
	rows, err := tx.tx.Query(ctx, q+` ORDER BY grant_id, platform_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find platform grant status: %w", err)
	}
	return collect(rows, "find platform grant status", func(r rowScanner) (store.PlatformGrantStatus, error) {
		var st store.PlatformGrantStatus
		err := r.Scan(&st.GrantID, &st.PlatformID, &st.State, &st.Error, &st.UpdatedAt)
		return st, err
	})
}

// rowScanner is a pgx.Row or pgx.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row of rows with scan and closes rows.
func collect[T any](rows pgx.Rows, op string, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sortChanges puts claimed entries in id order (RETURNING keeps none).
func sortChanges(cs []*store.PlatformChange) {
	slices.SortFunc(cs, func(a, b *store.PlatformChange) int { return cmp.Compare(a.ID, b.ID) })
}
