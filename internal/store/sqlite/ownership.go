package sqlite

import (
	"context"
	"fmt"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// LockAccount checks that the account exists: the single writer already
// orders write transactions.
func (tx *Tx) LockAccount(ctx context.Context, id string, _ bool) error {
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, id).Scan(&one)
	if isNoRows(err) {
		return mesh.NotFound("account", id)
	}
	if err != nil {
		return fmt.Errorf("lock account %s: %w", id, err)
	}
	return nil
}

// RecordOffboardedAccount remembers an offboarded id, replacing an earlier record.
func (tx *Tx) RecordOffboardedAccount(ctx context.Context, r *mesh.OffboardedAccount) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO offboarded_accounts (id, name, offboarded_at, offboarded_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, offboarded_at = excluded.offboarded_at, offboarded_by = excluded.offboarded_by`,
		r.ID, r.Name, formatTime(r.OffboardedAt), string(r.OffboardedBy))
	if err != nil {
		return fmt.Errorf("record offboarded account %s: %w", r.ID, err)
	}
	return nil
}

// FindOffboardedAccount returns the record of an offboarded id, or ENOTFOUND.
func (tx *Tx) FindOffboardedAccount(ctx context.Context, id string) (*mesh.OffboardedAccount, error) {
	var r mesh.OffboardedAccount
	var at, by string
	err := tx.tx.QueryRowContext(ctx, `SELECT id, name, offboarded_at, offboarded_by FROM offboarded_accounts WHERE id = ?`, id).
		Scan(&r.ID, &r.Name, &at, &by)
	if isNoRows(err) {
		return nil, mesh.NotFound("offboarded account", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find offboarded account %s: %w", id, err)
	}
	r.OffboardedBy = mesh.Principal(by)
	if r.OffboardedAt, err = parseTime(at); err != nil {
		return nil, err
	}
	return &r, nil
}

// FindLocationOverlaps returns the databases and tables whose location
// overlaps one of f.Keys: those containing one (or equal) by equality on the
// indexed location_key with each key's ancestors, those inside one by a
// range of the index per key. Keys travel as JSON arrays, so the statement
// text is the same for any number of them.
func (tx *Tx) FindLocationOverlaps(ctx context.Context, f store.LocationFilter) ([]store.LocationUse, error) {
	var ancestors []string
	var ranges [][2]string
	for _, k := range f.Keys {
		if k == "" {
			continue
		}
		ancestors = append(ancestors, mesh.LocationAncestors(k)...)
		ranges = append(ranges, [2]string{k, mesh.LocationDescendantsEnd(k)})
	}
	if len(ranges) == 0 {
		return nil, nil
	}
	anc, rng := marshalJSON(ancestors), marshalJSON(ranges)
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT d.name, '', d.owner, d.location_uri FROM catalog_databases d
		WHERE d.location_key IN (SELECT value FROM json_each(?1)) AND d.owner <> ?3 AND d.name <> ?4
		UNION ALL
		SELECT d.name, '', d.owner, d.location_uri FROM json_each(?2) k CROSS JOIN catalog_databases d
		WHERE d.location_key > k.value->>0 AND d.location_key < k.value->>1 AND d.owner <> ?3 AND d.name <> ?4
		UNION ALL
		SELECT t.database_name, t.name, d.owner, t.location FROM catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
		WHERE t.location_key IN (SELECT value FROM json_each(?1)) AND d.owner <> ?3 AND d.name <> ?4
		UNION ALL
		SELECT t.database_name, t.name, d.owner, t.location FROM json_each(?2) k CROSS JOIN catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
		WHERE t.location_key > k.value->>0 AND t.location_key < k.value->>1 AND d.owner <> ?3 AND d.name <> ?4
		LIMIT ?5`, anc, rng, f.ExceptOwner, f.ExceptDatabase, store.ListLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("find location overlaps: %w", err)
	}
	return collect(rows, "find location overlaps", func(r rowScanner) (store.LocationUse, error) {
		var u store.LocationUse
		err := r.Scan(&u.Database, &u.Table, &u.Owner, &u.Location)
		return u, err
	})
}

// fillLocationKeys computes the location keys of rows written before the
// store kept them (migration 0006), in batches; afterwards it is one indexed
// lookup that finds nothing.
func (db *DB) fillLocationKeys(ctx context.Context) error {
	for _, t := range []struct{ table, col string }{{"catalog_databases", "location_uri"}, {"catalog_tables", "location"}} {
		for {
			n, err := db.fillLocationBatch(ctx, t.table, t.col)
			if err != nil {
				return fmt.Errorf("sqlite: fill location keys of %s: %w", t.table, err)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

func (db *DB) fillLocationBatch(ctx context.Context, table, col string) (int, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, `+col+` FROM `+table+` WHERE location_key IS NULL LIMIT 1000`)
	if err != nil {
		return 0, err
	}
	type row struct {
		id  int64
		loc string
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.loc); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(todo) == 0 {
		return 0, err
	}
	for _, r := range todo {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET location_key = ? WHERE id = ?`, mesh.LocationKey(r.loc), r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), tx.Commit()
}
