package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// TestGroupCommit: concurrent writes share transactions, and each still
// stands alone: a write that fails or panics leaves nothing (its statements
// and its audit entries), raises its panic in its own caller and runs none
// of its AfterCommit functions; every other write is stored once and runs
// its AfterCommit functions once, after its commit.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, _ := openFile(t)
	const callers, each = 32, 40
	const total = callers * each
	var after [total]atomic.Int32
	errBoom := errors.New("boom")
	kind := func(n int) string { return [...]string{"ok", "ok", "ok", "fails", "panics"}[n%5] }
	before := sqlite.Commits(db)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				n := c*each + i
				fn := func(tx store.Tx) error {
					if err := tx.PutSetting(ctx, fmt.Sprint("group.", n), "v"); err != nil {
						return err
					}
					e := mesh.NewAuditEntry(nil, time.Now(), "test.group", fmt.Sprint(n))
					if err := tx.InsertAudit(ctx, &e); err != nil {
						return err
					}
					tx.AfterCommit(func() {
						// committed: another connection reads it
						err := db.View(ctx, func(tx store.Tx) error {
							_, err := tx.Setting(ctx, fmt.Sprint("group.", n))
							return err
						})
						if err != nil {
							t.Errorf("write %d: AfterCommit before its commit: %v", n, err)
						}
						after[n].Add(1)
					})
					switch kind(n) {
					case "fails":
						return errBoom
					case "panics":
						panic(fmt.Sprint("boom ", n))
					}
					return nil
				}
				func() {
					defer func() {
						p := recover()
						if want := fmt.Sprint("boom ", n); kind(n) == "panics" && p != want {
							t.Errorf("write %d: recovered %v, want its own panic %q", n, p, want)
						} else if kind(n) != "panics" && p != nil {
							t.Errorf("write %d: panicked: %v", n, p)
						}
					}()
					err := db.Update(ctx, fn)
					switch {
					case kind(n) == "fails" && !errors.Is(err, errBoom):
						t.Errorf("failing write %d: got %v, want its own error", n, err)
					case kind(n) == "ok" && err != nil:
						t.Errorf("write %d: %v", n, err)
					}
				}()
			}
		})
	}
	wg.Wait()
	commits := sqlite.Commits(db) - before
	if commits >= total {
		t.Errorf("%d writes took %d transactions: none shared one", total, commits)
	}
	t.Logf("%d writes in %d transactions", total, commits)
	err := db.View(ctx, func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(ctx, store.AuditFilter{Action: "test.group", Limit: 2 * total})
		if err != nil {
			return err
		}
		audited := map[string]int{}
		for _, e := range es {
			audited[e.Resource]++
		}
		for n := range total {
			_, err := tx.Setting(ctx, fmt.Sprint("group.", n))
			stored := err == nil
			if err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
				return err
			}
			ok := kind(n) == "ok"
			if stored != ok || (audited[fmt.Sprint(n)] == 1) != ok || audited[fmt.Sprint(n)] > 1 {
				t.Errorf("%s write %d: stored %v, audited %d times", kind(n), n, stored, audited[fmt.Sprint(n)])
			}
			if got, want := after[n].Load(), map[bool]int32{true: 1, false: 0}[ok]; got != want {
				t.Errorf("%s write %d: AfterCommit ran %d times, want %d", kind(n), n, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitDetached: a write whose caller's context has ended still
// runs to its end and commits, as does the write beside it: interrupting
// it would roll back the transaction they share.
func TestGroupCommitDetached(t *testing.T) {
	db, _ := openFile(t)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	var wg sync.WaitGroup
	for i, ctx := range []context.Context{ended, context.Background()} {
		wg.Go(func() {
			err := db.Update(ctx, func(tx store.Tx) error {
				return tx.PutSetting(ctx, fmt.Sprint("detached.", i), "v")
			})
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	err := db.View(context.Background(), func(tx store.Tx) error {
		for i := range 2 {
			if _, err := tx.Setting(context.Background(), fmt.Sprint("detached.", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkConcurrentWrites: small writes from 32 goroutines at once (a
// setting and an audit entry each, as an API write), each acknowledged only
// once durable (synchronous=FULL).
func BenchmarkConcurrentWrites(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			err := db.Update(ctx, func(tx store.Tx) error {
				if err := tx.PutSetting(ctx, fmt.Sprint("bench.", i), "v"); err != nil {
					return err
				}
				e := mesh.NewAuditEntry(nil, time.Now(), "bench.write", fmt.Sprint(i))
				return tx.InsertAudit(ctx, &e)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
