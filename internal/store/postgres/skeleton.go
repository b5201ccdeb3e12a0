package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
)

// refuseLookalike returns ECONFLICT when a user whose name has the skeleton
// of username exists: the same name, or one that can pass for it. A
// transaction-scoped lock on the skeleton keeps two look-alikes created at
// once from both passing the check.
func (tx *Tx) refuseLookalike(ctx context.Context, username, skeleton string) error {
	if _, err := tx.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('meshgate.username:' || $1))`, skeleton); err != nil {
		return fmt.Errorf("lock user name %s: %w", username, err)
	}
	var other string
	err := tx.tx.QueryRow(ctx, `SELECT username FROM users WHERE username_skeleton = $1 LIMIT 1`, skeleton).Scan(&other)
	switch {
	case isNoRows(err):
		return nil
	case err != nil:
		return fmt.Errorf("find look-alike of user %s: %w", username, err)
	case other == username:
		return mesh.Errorf(mesh.ECONFLICT, "user %q exists already", username)
	}
	return &mesh.Error{Code: mesh.ECONFLICT, Field: "username",
		Message: fmt.Sprintf("user name %q looks like the existing user %q; choose another", username, other)}
}

// backfillSkeletons fills in the skeletons of users created before they
// were kept (migration 0009), once, at open.
func (db *DB) backfillSkeletons(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, username FROM users WHERE username_skeleton = '' FOR UPDATE`)
		if err != nil {
			return fmt.Errorf("postgres: backfill user name skeletons: %w", err)
		}
		type user struct {
			id   int64
			name string
		}
		users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (user, error) {
			var u user
			err := r.Scan(&u.id, &u.name)
			return u, err
		})
		if err != nil {
			return fmt.Errorf("postgres: backfill user name skeletons: %w", err)
		}
		for _, u := range users {
			if _, err := tx.Exec(ctx, `UPDATE users SET username_skeleton = $1 WHERE id = $2`, mesh.NameSkeleton(u.name), u.id); err != nil {
				return fmt.Errorf("postgres: backfill user name skeletons: %w", err)
			}
		}
		return nil
	})
}
