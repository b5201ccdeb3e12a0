package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints copy the write-ahead log back into the database file. SQLite
// runs them in the committing connection by default, every 1,000 pages of
// log: the writer then spends a tenth of its time copying pages and waiting
// for the database file's fsync, while every other write waits for it. The
// writer's connection turns that off; the checkpointer's own connection
// runs the same PASSIVE checkpoints after commits instead, at most one
// every checkpointEvery, on another core beside the writer. A passive
// checkpoint neither waits for nor blocks the writer or the readers.
//
// SQLite starts the log again from its beginning only at a write that finds
// it copied completely, which a checkpoint running beside a busy writer
// rarely leaves it: the writer appends while it copies. So once the log
// passes catchUpFrames pages, the writer runs one passive checkpoint itself
// after its next commit, with no write in progress: the checkpointer has
// copied all but the last pages, so it copies only those, and the log
// starts again (unless a reader still reads an old snapshot from it; then
// the next one tries again).
const (
	checkpointEvery  = 50 * time.Millisecond
	catchUpFrames    = 4_000    // 16 MB of 4 KB pages
	journalSizeLimit = 64 << 20 // the log file's size kept when it starts again
)

type checkpointer struct {
	db     *sql.DB
	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// catchUp asks the writer to finish a checkpoint after its commit.
	catchUp atomic.Bool
}

func startCheckpointer(path string, opts Options) (*checkpointer, error) {
	pool, err := openPool(path, opts, "deferred", 1)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: pool, wake: make(chan struct{}, 1), cancel: cancel}
	c.wg.Go(func() { c.run(ctx) })
	return c, nil
}

// committed runs after each commit on the writer connection's pool: it
// finishes a checkpoint when the log has grown long, and wakes the
// checkpointer.
func (c *checkpointer) committed(ctx context.Context, writer *sql.DB) {
	if c.catchUp.CompareAndSwap(true, false) {
		// An error leaves the log as it is; the checkpointer asks again.
		checkpoint(ctx, writer)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		// An error leaves the log to the next commit's checkpoint; it only
		// grows meanwhile.
		if frames, err := checkpoint(ctx, c.db); err == nil && frames > catchUpFrames {
			c.catchUp.Store(true)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// checkpoint runs one passive checkpoint and returns the log's size in pages.
func checkpoint(ctx context.Context, db *sql.DB) (frames int, err error) {
	var busy, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		return 0, fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	return frames, nil
}

func (c *checkpointer) close() error {
	c.cancel()
	c.wg.Wait()
	return c.db.Close()
}
