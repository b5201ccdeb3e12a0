package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/store"
)

// Tx is a PostgreSQL transaction. Each area's methods live in the file named after it.
type Tx struct {
	tx    pgx.Tx
	now   func() time.Time
	after []func()
	// marks are the open savepoints and how many AfterCommit functions
	// were registered when each began: rolling back to one forgets the
	// functions registered since, as it undoes the work they follow.
	marks []savepointMark
}

type savepointMark struct {
	name  string
	after int
}

// mark records a savepoint.
func (tx *Tx) mark(name string) { tx.marks = append(tx.marks, savepointMark{name, len(tx.after)}) }

// unmark ends the latest savepoint named name; rollback also forgets the
// AfterCommit functions registered since it began.
func (tx *Tx) unmark(name string, rollback bool) {
	for i := len(tx.marks) - 1; i >= 0; i-- {
		if tx.marks[i].name == name {
			if rollback {
				tx.after = tx.after[:tx.marks[i].after]
			}
			tx.marks = tx.marks[:i]
			return
		}
	}
}

var _ store.Tx = (*Tx)(nil)

// AfterCommit runs fn once the transaction has committed.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// committed runs what waited for the commit.
func (tx *Tx) committed() {
	for _, fn := range tx.after {
		fn()
	}
}
