package sqlite

import (
	"context"
	"fmt"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Setting returns the value of key, or ENOTFOUND.
func (tx *Tx) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := tx.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if isNoRows(err) {
		return "", mesh.NotFound("setting", key)
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// EnsureSetting stores value under key unless it has one, and returns the stored value.
func (tx *Tx) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("write setting %s: %w", key, err)
	}
	return tx.Setting(ctx, key)
}

// PutSetting stores value under key, replacing any value it had.
func (tx *Tx) PutSetting(ctx context.Context, key, value string) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
