package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const accountColumns = `id, name, organization, email, created_at, updated_at`

// CreateAccount inserts a; ECONFLICT when the id is taken. ON CONFLICT keeps
// the transaction usable after a conflict.
func (tx *Tx) CreateAccount(ctx context.Context, a *mesh.Account) error {
	tag, err := tx.tx.Exec(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.Name, a.Organization, a.Email, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert account %s: %w", a.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "account %q exists already", a.ID)
	}
	return nil
}

// FindAccountByID returns the account, or ENOTFOUND.
func (tx *Tx) FindAccountByID(ctx context.Context, id string) (*mesh.Account, error) {
	if a, ok := tx.Memo().Account(id); ok {
		return a, nil
	}
	a, err := scanAccount(tx.tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("account", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find account %s: %w", id, err)
	}
	tx.Memo().PutAccount(a)
	return a, nil
}

// FindAccounts returns accounts matching f ordered by id.
func (tx *Tx) FindAccounts(ctx context.Context, f store.AccountFilter) ([]*mesh.Account, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Organization != "" {
		where = append(where, "organization = "+arg(f.Organization))
	}
	if f.AfterID != "" {
		where = append(where, `id COLLATE "C" > `+arg(f.AfterID))
	}
	q := `SELECT ` + accountColumns + ` FROM accounts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id COLLATE \"C\" LIMIT " + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return out, nil
}

// UpdateAccount stores a's mutable fields; ENOTFOUND when missing.
func (tx *Tx) UpdateAccount(ctx context.Context, a *mesh.Account) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE accounts SET name = $1, organization = $2, email = $3, updated_at = $4 WHERE id = $5`,
		a.Name, a.Organization, a.Email, a.UpdatedAt, a.ID)
	if err != nil {
		return fmt.Errorf("update account %s: %w", a.ID, err)
	}
	return affectedOne(tag, "account", a.ID)
}

// DeleteAccount removes the account; its users, sessions and tokens go with it.
func (tx *Tx) DeleteAccount(ctx context.Context, id string) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	return affectedOne(tag, "account", id)
}

func scanAccount(row pgx.Row) (*mesh.Account, error) {
	var a mesh.Account
	if err := row.Scan(&a.ID, &a.Name, &a.Organization, &a.Email, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// affectedOne turns an update or delete that touched no row into ENOTFOUND.
func affectedOne(tag pgconn.CommandTag, kind, key string) error {
	if tag.RowsAffected() == 0 {
		return mesh.NotFound(kind, key)
	}
	return nil
}
