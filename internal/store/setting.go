package store

import "context"

// SettingTx is the part of a transaction that keeps server-wide settings and
// secrets shared by every replica (for example the page-token key).
type SettingTx interface {
	// Setting returns the value of key, or ENOTFOUND.
	Setting(ctx context.Context, key string) (string, error)
	// EnsureSetting stores value under key unless key already has a value,
	// and returns the value stored.
	EnsureSetting(ctx context.Context, key, value string) (string, error)
	// PutSetting stores value under key, replacing any value it had.
	PutSetting(ctx context.Context, key, value string) error
}
