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
