package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const accountColumns = `id, name, organization, email, created_at, updated_at`

// CreateAccount inserts a; ECONFLICT when the id is taken.
func (tx *Tx) CreateAccount(ctx context.Context, a *mesh.Account) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Organization, a.Email, formatTime(a.CreatedAt), formatTime(a.UpdatedAt))
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %q exists already", a.ID)
	}
	if err != nil {
		return fmt.Errorf("insert account %s: %w", a.ID, err)
	}
	return nil
}

// FindAccountByID returns the account, or ENOTFOUND.
func (tx *Tx) FindAccountByID(ctx context.Context, id string) (*mesh.Account, error) {
	if a, ok := tx.Memo().Account(id); ok {
		return a, nil
	}
	a, err := scanAccount(tx.tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
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
	if f.Organization != "" {
		where, args = append(where, "organization = ?"), append(args, f.Organization)
	}
	if f.AfterID != "" {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	q := `SELECT ` + accountColumns + ` FROM accounts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, store.ListLimit(f.Limit))
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return collect(rows, "scan account", scanAccount)
}

// UpdateAccount stores a's mutable fields; ENOTFOUND when missing.
func (tx *Tx) UpdateAccount(ctx context.Context, a *mesh.Account) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE accounts SET name = ?, organization = ?, email = ?, updated_at = ? WHERE id = ?`,
		a.Name, a.Organization, a.Email, formatTime(a.UpdatedAt), a.ID)
	if err != nil {
		return fmt.Errorf("update account %s: %w", a.ID, err)
	}
	return affectedOne(res, "account", a.ID)
}

// DeleteAccount removes the account; its users, sessions and tokens go with it.
func (tx *Tx) DeleteAccount(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	return affectedOne(res, "account", id)
}

func scanAccount(row rowScanner) (*mesh.Account, error) {
	var a mesh.Account
	var created, updated string
	if err := row.Scan(&a.ID, &a.Name, &a.Organization, &a.Email, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &a, nil
}

// affectedOne turns an update or delete that touched no row into ENOTFOUND.
func affectedOne(res sql.Result, kind, key string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, key, err)
	}
	if n == 0 {
		return mesh.NotFound(kind, key)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique or primary key violation.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isFKViolation reports whether err is a foreign key violation.
func isFKViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}
