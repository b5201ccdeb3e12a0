package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/store"
)

// Tx is a PostgreSQL transaction. Each area's methods live in the file named after it.
type Tx struct {
	tx  pgx.Tx
	now func() time.Time
}

var _ store.Tx = (*Tx)(nil)
