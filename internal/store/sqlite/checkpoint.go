package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Checkpoints copy the write-ahead log back into the database file. SQLite
// runs them in the committing connection by default, every 1,000 pages of
// log: the writer then spends a tenth of its time copying pages and waiting
// for the database file's fsync, while every other write waits for it. The
// writer's connection turns that off; the checkpointer's own connection
// runs the same PASSIVE checkpoints after commits instead, at most one
// every checkpointEvery, on another core beside the writer. A passive
// checkpoint neither waits for nor blocks the writer or the readers; once
// one has copied the whole log, the next write starts the log again from
// its beginning, as with SQLite's own checkpoints.
const checkpointEvery = 50 * time.Millisecond

type checkpointer struct {
	db     *sql.DB
	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
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

// kick tells the checkpointer that the log has grown.
func (c *checkpointer) kick() {
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
		c.checkpoint(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// checkpoint runs one passive checkpoint.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	var busy, frames, done int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	return nil
}

func (c *checkpointer) close() error {
	c.cancel()
	c.wg.Wait()
	return c.db.Close()
}
