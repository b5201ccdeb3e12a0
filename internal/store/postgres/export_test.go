package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meshgate/meshgate/internal/store"
)

// OpenTraced is Open with tracer seeing every statement the store sends,
// on every connection it makes: its pool's, the one that creates its schema
// and its listeners'.
func OpenTraced(ctx context.Context, url string, opts Options, tracer pgx.QueryTracer) (*DB, error) {
	return open(ctx, url, opts, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
}

// ResourceLinksQuery is the statement FindResourceLinks runs.
var ResourceLinksQuery = resourceLinksQuery

// ExecUnchecked runs sql in tx and drops its error, as a careless caller
// might.
func ExecUnchecked(ctx context.Context, tx store.Tx, sql string) { tx.(*Tx).tx.Exec(ctx, sql) }

// SetListening makes db's listeners give timeout to connect and LISTEN,
// and wait between attempts with sleep; set before any listener runs.
func (db *DB) SetListening(timeout time.Duration, sleep func(ctx context.Context, d time.Duration) error) {
	db.listenTimeout, db.sleep = timeout, sleep
}
