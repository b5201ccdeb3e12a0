//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// The database, -wal and -shm files are the owner's alone whatever the
// umask, on a new store and on one an older version left readable.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		existing bool // a database file left 0644 by an older version
	}{{"new", false}, {"existing", true}} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "meshgate.db")
			if tt.existing {
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			db, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(ctx, func(tx store.Tx) error {
				_, err := tx.EnsureSetting(ctx, "mode-test", "x")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				fi, err := os.Stat(path + suffix)
				if err != nil {
					t.Fatalf("stat %s: %v", suffix, err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("meshgate.db%s: got mode %o, want 600", suffix, got)
				}
			}
		})
	}
}
