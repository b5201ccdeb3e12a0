package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// TestCheckpointsBesideTheWriter: the writer does not checkpoint at its
// commits; the checkpointer copies the log into the database file while
// the store stays open, and what was committed reads back.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	db, path := openFile(t)
	size := fileSize(t, path)
	before := size()
	const commits, grow = 400, 1 << 20
	detail := strings.Repeat("x", 4000)
	for i := range commits {
		err := db.Update(ctx, func(tx store.Tx) error {
			e := mesh.NewAuditEntry(nil, time.Now(), "test.write", "n")
			e.Detail = detail
			return tx.InsertAudit(ctx, &e)
		})
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	// 400 commits of a 4 KB entry each are 1.6 MB of log; the database
	// file grows only by checkpoints.
	deadline := time.Now().Add(30 * time.Second)
	for size() < before+grow {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after %d commits (%d before): the log was not checkpointed", size(), commits, before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	err := db.View(ctx, func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "test.write", Limit: 1000})
		if err == nil && len(es) != commits {
			t.Errorf("read back %d entries, want %d", len(es), commits)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLogStartsAgain: after a burst of writes far larger than the log is
// let grow, later commits find it copied and start it again, and its file
// gives back what is beyond the size kept.
func TestLogStartsAgain(t *testing.T) {
	ctx := context.Background()
	db, path := openFile(t)
	walSize := fileSize(t, path+"-wal")
	write := func(detail string, n int) {
		t.Helper()
		err := db.Update(ctx, func(tx store.Tx) error {
			for range n {
				e := mesh.NewAuditEntry(nil, time.Now(), "test.burst", "n")
				e.Detail = detail
				if err := tx.InsertAudit(ctx, &e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const limit = 64 << 20
	write(strings.Repeat("y", 1<<20), 100) // 100 MB in one transaction
	peak := walSize()
	if peak <= limit {
		t.Fatalf("log file %d bytes after a 100 MB transaction, want more than %d", peak, limit)
	}
	deadline := time.Now().Add(30 * time.Second)
	for walSize() > limit {
		if time.Now().After(deadline) {
			t.Fatalf("log file %d bytes (peak %d) 30 s after the burst: it did not start again", walSize(), peak)
		}
		write("small", 1)
		time.Sleep(10 * time.Millisecond)
	}
}

// openFile opens a store in a file of its own, closed when the test ends.
func openFile(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// fileSize returns a function that tells the file's size.
func fileSize(t *testing.T, path string) func() int64 {
	return func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
}

// TestLogBoundedUnderSustainedWrites: writers that never pause leave the
// checkpointer no moment in which the log is copied completely; the writer
// finishing a checkpoint once the log is long keeps it from growing with
// everything written (200 MB here).
func TestLogBoundedUnderSustainedWrites(t *testing.T) {
	ctx := context.Background()
	db, path := openFile(t)
	walSize := fileSize(t, path+"-wal")
	detail := strings.Repeat("z", 256<<10)
	const writers, commits = 4, 200 // 4 × 200 × 256 KB
	var mu sync.Mutex
	var peak int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range commits {
				err := db.Update(ctx, func(tx store.Tx) error {
					e := mesh.NewAuditEntry(nil, time.Now(), "test.sustained", "n")
					e.Detail = detail
					return tx.InsertAudit(ctx, &e)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				peak = max(peak, walSize())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if peak > 100<<20 {
		t.Errorf("log file peaked at %d MB while writing 200 MB, want it bounded well below", peak>>20)
	}
}
