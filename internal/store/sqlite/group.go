package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// Group commit. Every write goes through the one writer connection, and
// with synchronous=FULL every commit waits for the disk: a commit per
// Update would bound the store's writes to the disk's fsync rate, with the
// writer idle while it waits. So Update queues its call; the caller that
// finds no commit under way leads: it takes every call queued (up to
// maxGroup), runs each in a savepoint of one transaction, and commits them
// together, then hands the lead to the next caller waiting. A call whose
// function fails rolls back to its savepoint and fails alone; a commit that
// fails fails every call in it. Each caller gets its own Tx, so that its
// AfterCommit functions, audit entries and memo are its own, and runs its
// AfterCommit functions in its own goroutine once the group has committed.
// An uncontended call leads its group of one: it runs in its own goroutine,
// without a savepoint.

// maxGroup bounds the calls one transaction commits, and so the wait of the
// last of them.
const maxGroup = 256

// groupSavepoint is the savepoint around each call of a group.
const groupSavepoint = "meshgate_group_call"

// call is one Update waiting for, or done with, its group.
type call struct {
	fn func(store.Tx) error
	// wake tells a waiting caller that its call is done, or that it leads.
	wake chan struct{}
	// set by the group's leader before it wakes the caller
	done     bool
	tx       *Tx
	err      error
	panicked any
}

// writeGroup is the queue of calls and whether one leads.
type writeGroup struct {
	mu      sync.Mutex
	queue   []*call
	leading bool
	stats   writerStats
}

// writerStats count the writer's work, for /metrics: how busy the one
// writer is tells whether it bounds the store's write rate.
type writerStats struct {
	commits atomic.Int64 // transactions begun
	calls   atomic.Int64 // Update calls they ran
	// busy is the time from a group's BEGIN to the end of its COMMIT,
	// commit the COMMIT's part of it (writing and syncing the log), in
	// nanoseconds.
	busy, commit atomic.Int64
}

// Update runs fn in a write transaction on the single writer connection,
// committed with the other writes waiting at the time (group commit, above).
// fn's statements are not interrupted when ctx ends: interrupting a write
// rolls back the whole transaction, the other calls' work with it.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	c := &call{fn: fn, wake: make(chan struct{}, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if !lead {
		<-c.wake
		lead = !c.done
	}
	if lead {
		db.lead()
		// After what waited for the commit, which a checkpoint need not
		// delay.
		defer db.ckpt.committed(context.Background(), db.writer)
	}
	if c.panicked != nil {
		panic(c.panicked)
	}
	if c.err != nil {
		return c.err
	}
	c.tx.Committed()
	return nil
}

// lead commits the calls at the head of the queue (its own first), wakes
// their callers and hands the lead to the next caller waiting. The leader
// then runs its AfterCommit functions, and the log's checkpoint when it has
// grown long (checkpointer.committed), which waits for the writer
// connection between groups.
func (db *DB) lead() {
	g := &db.group
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	db.commitGroup(batch)
	for _, c := range batch[1:] {
		c.done = true
		c.wake <- struct{}{}
	}
	batch[0].done = true
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
}

// commitGroup runs the calls in one transaction and records each one's
// outcome.
func (db *DB) commitGroup(batch []*call) {
	stats := &db.group.stats
	begin := time.Now()
	stats.commits.Add(1)
	stats.calls.Add(int64(len(batch)))
	defer func() { stats.busy.Add(int64(time.Since(begin))) }()
	ctx := context.Background()
	fail := func(err error) {
		for _, c := range batch {
			if c.err == nil && c.panicked == nil {
				c.err, c.tx = err, nil
			}
		}
	}
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	if len(batch) == 1 {
		c := batch[0]
		c.tx = newWriteTx(sqlTx, db.clock.Now)
		if !db.runCall(ctx, c) {
			sqlTx.Rollback()
			return
		}
	} else {
		for _, c := range batch {
			if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT "+groupSavepoint); err != nil {
				sqlTx.Rollback()
				fail(fmt.Errorf("sqlite: savepoint: %w", err))
				return
			}
			c.tx = newWriteTx(sqlTx, db.clock.Now)
			end := "RELEASE " + groupSavepoint
			if !db.runCall(ctx, c) {
				end = "ROLLBACK TO " + groupSavepoint + "; RELEASE " + groupSavepoint
			}
			if _, err := sqlTx.ExecContext(ctx, end); err != nil {
				// The transaction is gone, and the calls before with it.
				sqlTx.Rollback()
				fail(fmt.Errorf("sqlite: end of savepoint: %w", err))
				return
			}
		}
	}
	committing := time.Now()
	err = sqlTx.Commit()
	stats.commit.Add(int64(time.Since(committing)))
	if err != nil {
		fail(fmt.Errorf("sqlite: commit: %w", err))
	}
}

// runCall runs one call's function and writes its audit entries, reporting
// whether both succeeded; a panic is recorded for the caller to raise again.
func (db *DB) runCall(ctx context.Context, c *call) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			c.panicked, c.tx, ok = p, nil, false
		}
	}()
	if err := c.fn(c.tx); err != nil {
		c.err, c.tx = err, nil
		return false
	}
	if err := c.tx.writeAudit(ctx); err != nil {
		c.err, c.tx = err, nil
		return false
	}
	return true
}
