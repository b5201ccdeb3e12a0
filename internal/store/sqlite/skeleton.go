package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/meshgate/meshgate/internal/mesh"
)

// refuseLookalike returns ECONFLICT when a user whose name has the skeleton
// of username exists: the same name, or one that can pass for it.
func (tx *Tx) refuseLookalike(ctx context.Context, username, skeleton string) error {
	var other string
	err := tx.tx.QueryRowContext(ctx, `SELECT username FROM users WHERE username_skeleton = ? LIMIT 1`, skeleton).Scan(&other)
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
func backfillSkeletons(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT id, username FROM users WHERE username_skeleton = ''`)
	if err != nil {
		return fmt.Errorf("sqlite: backfill user name skeletons: %w", err)
	}
	type user struct {
		id   int64
		name string
	}
	var users []user
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.name); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: backfill user name skeletons: %w", err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(users) == 0 {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, u := range users {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET username_skeleton = ? WHERE id = ?`, mesh.NameSkeleton(u.name), u.id); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: backfill user name skeletons: %w", err)
		}
	}
	return tx.Commit()
}
