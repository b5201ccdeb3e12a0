package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// Tx is a SQLite transaction. Each area's methods live in the file named after it.
type Tx struct {
	tx    *sql.Tx
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

// timeFormat stores times as sortable UTC text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// parseNullTime parses an optional time; NULL is the zero time.
func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}

// nullTime formats an optional time; the zero time is NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// isNoRows reports whether err is sql.ErrNoRows; callers turn it into ENOTFOUND.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
