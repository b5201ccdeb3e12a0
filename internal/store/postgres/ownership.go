package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// The account lock: an advisory lock of the account in the schema, taken
// shared by writes that name the account (a request for its product, a
// catalog write naming it data_owner) and exclusive, with the account's row
// (FOR UPDATE), by what ends or empties it (its offboarding, a forced
// delete of its database). Shared, it writes nothing, where a row lock FOR
// SHARE marks the row at every request for the account's products, many
// at once through a multixact. 1633903476 is "acct".
const (
	accountLockShared    = `SELECT pg_advisory_xact_lock_shared(1633903476, hashtext(current_schema() || '/' || $1))`
	accountLockExclusive = `SELECT pg_advisory_xact_lock(1633903476, hashtext(current_schema() || '/' || $1))`
	// accountLockTry takes the lock shared if nobody holds it exclusive,
	// and reads whether the account exists in the same statement: when it
	// took the lock at once, whatever ended the account committed before
	// the statement began, and what would end it now waits for this
	// transaction.
	accountLockTry = `SELECT pg_try_advisory_xact_lock_shared(1633903476, hashtext(current_schema() || '/' || $1)),
		EXISTS (SELECT 1 FROM accounts WHERE id = $1)`
)

type accountsHeldKey struct{}

// LockAccount takes the account lock, shared or (forUpdate) exclusive with
// the account's row, until the transaction ends, and then finds the
// account. Shared, it first tries the lock and reads the account in one
// statement, which in a batch of requests for one product's consumers
// leaves the memo of what the batch read as it is (the account and the
// databases aside); when an offboarding holds the lock, it waits for it,
// and what follows reads everything again. A lock the transaction holds
// already costs nothing. Errors: ENOTFOUND.
func (tx *Tx) LockAccount(ctx context.Context, id string, forUpdate bool) error {
	held, _ := tx.Local(accountsHeldKey{}).(map[string]bool)
	if held[id] || (!forUpdate && held["+"+id]) {
		return nil
	}
	hold := func(k string) {
		next := make(map[string]bool, len(held)+1)
		for h := range held {
			next[h] = true
		}
		next[k] = true
		tx.SetLocal(accountsHeldKey{}, next) // undone by a rollback to a savepoint, as the lock is
	}
	if !forUpdate {
		var got, exists bool
		if err := tx.tx.queryRow(ctx, accountLockTry, []any{id}).Scan(&got, &exists); err != nil {
			return fmt.Errorf("lock account %s: %w", id, err)
		}
		if got {
			tx.tx.memo.ForgetAccountAndDatabases(id)
			if !exists {
				return mesh.NotFound("account", id)
			}
			hold("+" + id)
			return nil
		}
	}
	lock, q := accountLockShared, `SELECT 1 FROM accounts WHERE id = $1`
	if forUpdate {
		lock, q = accountLockExclusive, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`
	}
	tx.tx.deferLock(lock, id)
	var one int
	err := tx.tx.QueryRow(ctx, q, id).Scan(&one)
	if isNoRows(err) {
		return mesh.NotFound("account", id)
	}
	if err != nil {
		return fmt.Errorf("lock account %s: %w", id, err)
	}
	if forUpdate {
		hold(id)
	} else {
		hold("+" + id)
	}
	return nil
}

// RecordOffboardedAccount remembers an offboarded id, replacing an earlier record.
func (tx *Tx) RecordOffboardedAccount(ctx context.Context, r *mesh.OffboardedAccount) error {
	_, err := tx.tx.Exec(ctx, `INSERT INTO offboarded_accounts (id, name, offboarded_at, offboarded_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, offboarded_at = excluded.offboarded_at, offboarded_by = excluded.offboarded_by`,
		r.ID, r.Name, r.OffboardedAt, string(r.OffboardedBy))
	if err != nil {
		return fmt.Errorf("record offboarded account %s: %w", r.ID, err)
	}
	return nil
}

// FindOffboardedAccount returns the record of an offboarded id, or ENOTFOUND.
func (tx *Tx) FindOffboardedAccount(ctx context.Context, id string) (*mesh.OffboardedAccount, error) {
	var r mesh.OffboardedAccount
	var by string
	err := tx.tx.QueryRow(ctx, `SELECT id, name, offboarded_at, offboarded_by FROM offboarded_accounts WHERE id = $1`, id).
		Scan(&r.ID, &r.Name, &r.OffboardedAt, &by)
	if isNoRows(err) {
		return nil, mesh.NotFound("offboarded account", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find offboarded account %s: %w", id, err)
	}
	r.OffboardedAt, r.OffboardedBy = r.OffboardedAt.UTC(), mesh.Principal(by)
	return &r, nil
}

// FindLocationOverlaps returns the databases and tables whose location
// overlaps one of f.Keys: those containing one (or equal) by equality on the
// indexed location_key with each key's ancestors, those inside one by a
// range of the index per key.
func (tx *Tx) FindLocationOverlaps(ctx context.Context, f store.LocationFilter) ([]store.LocationUse, error) {
	var ancestors, lo, hi []string
	for _, k := range f.Keys {
		if k == "" {
			continue
		}
		ancestors = append(ancestors, mesh.LocationAncestors(k)...)
		lo, hi = append(lo, k), append(hi, mesh.LocationDescendantsEnd(k))
	}
	if len(lo) == 0 {
		return nil, nil
	}
	// The ranges are LATERAL subqueries ordered by the key, so that the
	// planner walks the index per key instead of guessing the ranges' size
	// (unknown for array elements) and scanning the table.
	rows, err := tx.tx.Query(ctx, `
		SELECT d.name, '', d.owner, d.location_uri FROM catalog_databases d
		WHERE d.location_key = ANY($1) AND d.owner <> $4 AND d.name <> $5
		UNION ALL
		SELECT x.* FROM unnest($2::text[], $3::text[]) AS k(lo, hi) CROSS JOIN LATERAL (
			SELECT d.name, '', d.owner, d.location_uri FROM catalog_databases d
			WHERE d.location_key > k.lo AND d.location_key < k.hi AND d.owner <> $4 AND d.name <> $5
			ORDER BY d.location_key LIMIT $6) x
		UNION ALL
		SELECT t.database_name, t.name, d.owner, t.location FROM catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
		WHERE t.location_key = ANY($1) AND d.owner <> $4 AND d.name <> $5
		UNION ALL
		SELECT x.* FROM unnest($2::text[], $3::text[]) AS k(lo, hi) CROSS JOIN LATERAL (
			SELECT t.database_name, t.name, d.owner, t.location FROM catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
			WHERE t.location_key > k.lo AND t.location_key < k.hi AND d.owner <> $4 AND d.name <> $5
			ORDER BY t.location_key LIMIT $6) x
		LIMIT $6`,
		ancestors, lo, hi, f.ExceptOwner, f.ExceptDatabase, store.ListLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("find location overlaps: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.LocationUse, error) {
		var u store.LocationUse
		err := r.Scan(&u.Database, &u.Table, &u.Owner, &u.Location)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("find location overlaps: %w", err)
	}
	return out, nil
}

// fillLocationKeys computes the location keys of rows written before the
// store kept them (migration 0006), in batches; afterwards it is one indexed
// lookup that finds nothing.
func (db *DB) fillLocationKeys(ctx context.Context) error {
	for _, t := range []struct{ table, col string }{{"catalog_databases", "location_uri"}, {"catalog_tables", "location"}} {
		for {
			n, err := db.fillLocationBatch(ctx, t.table, t.col)
			if err != nil {
				return fmt.Errorf("postgres: fill location keys of %s: %w", t.table, err)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

func (db *DB) fillLocationBatch(ctx context.Context, table, col string) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, `+col+` FROM `+table+` WHERE location_key IS NULL LIMIT 1000 FOR UPDATE SKIP LOCKED`)
		if err != nil {
			return err
		}
		type row struct {
			id  int64
			loc string
		}
		todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.loc)
			return x, err
		})
		if err != nil {
			return err
		}
		for _, r := range todo {
			if _, err := tx.Exec(ctx, `UPDATE `+table+` SET location_key = $1 WHERE id = $2`, mesh.LocationKey(r.loc), r.id); err != nil {
				return err
			}
		}
		n = len(todo)
		return nil
	})
	return n, err
}
