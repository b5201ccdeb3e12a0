// Package postgres implements store.Store on PostgreSQL with pgx v5 and a
// connection pool, for several meshgate replicas sharing one database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

//go:embed migrations
var migrationsFS embed.FS

// migrationLock is the advisory lock key that serializes migrations across
// replicas (a transaction's lock: see migrate).
const migrationLock = 0x6d657368 // "mesh"

// Options tune the store.
type Options struct {
	// Schema, when set, is created if missing and used as the search_path
	// (tests use one schema each).
	Schema string
	// MaxConns bounds the pool (default pgxpool's).
	MaxConns int32
	// Clock stamps rows; default the system clock.
	Clock mesh.Clock
	// Logger logs what the listeners cannot do (default slog.Default()).
	Logger *slog.Logger
	// IdleInTransactionTimeout is the idle_in_transaction_session_timeout
	// of every connection of the store, pooled or not (the listeners'),
	// default DefaultIdleInTransactionTimeout (negative: PostgreSQL's own
	// setting). A value the URL gives the connections (options=-c ..., a
	// runtime parameter, PGOPTIONS) is kept.
	IdleInTransactionTimeout time.Duration
	// TCPUserTimeout is the tcp_user_timeout of every connection of the
	// store, pooled or not, default DefaultTCPUserTimeout (negative:
	// PostgreSQL's own setting). A value the URL gives the connections is
	// kept.
	TCPUserTimeout time.Duration
}

// DB is a PostgreSQL store.
type DB struct {
	pool  *pgxpool.Pool
	clock mesh.Clock
	log   *slog.Logger
	// sleep waits between a listener's attempts and listenTimeout bounds
	// one's connect and LISTEN (tests change both: see SetListening).
	sleep         func(ctx context.Context, d time.Duration) error
	listenTimeout time.Duration
}

var _ store.Store = (*DB)(nil)

// Open connects to the database at url, applies pending migrations and returns the store.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	return open(ctx, url, opts, nil)
}

// open is Open, with configure (if any) changing the pool's configuration
// before the store connects.
func open(ctx context.Context, url string, opts Options, configure func(*pgxpool.Config)) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = mesh.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	// Every connection made from cfg.ConnConfig sets the timeouts: the
	// pool's, and those outside it (the schema's creation, the listeners').
	if cfg.ConnConfig.AfterConnect, err = opts.setTimeouts(); err != nil {
		return nil, err
	}
	if configure != nil {
		configure(cfg)
	}
	if opts.Schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig, opts.Schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{pool: pool, clock: opts.Clock, log: opts.Logger, sleep: mesh.Sleep, listenTimeout: listenTimeout}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.backfillSkeletons(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.fillLocationKeys(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.refoldSearch(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Pool exposes the connection pool, for the engine's listeners and for tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Dialect returns "postgres".
func (db *DB) Dialect() string { return "postgres" }

// LocksRows marks the store as store.RowLocking.
func (db *DB) LocksRows() {}

// Transient reports a deadlock (40P01) or a serialization failure (40001).
func (db *DB) Transient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// Ping checks the server is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Size returns the bytes of the current schema's tables, their indexes and
// TOAST (store.Sizer): replicas and test schemas may share one database, so
// the database's own size would count others.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'm')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: size: %w", err)
	}
	return n, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Update runs fn in a read-committed read-write transaction.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return db.run(ctx, `BEGIN`, fn)
}

// View runs fn in a repeatable-read read-only transaction (one snapshot).
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return db.run(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, fn)
}

// run runs fn in a transaction begun with begin on a pooled connection. The
// BEGIN goes with the transaction's first statement, and the COMMIT with
// what it writes last (Tx.commit), so that neither costs a round trip of
// its own; a transaction that sent nothing commits nothing. A connection
// given back in a transaction (a failed ROLLBACK, a cancelled batch) is
// closed by the pool.
func (db *DB) run(ctx context.Context, begin string, fn func(store.Tx) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer conn.Release()
	tx := newTx(conn.Conn(), begin, db.clock.Now)
	rollback := func() {
		if tx.tx.begun() {
			conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		rollback()
		return textRefused(err)
	}
	if err := tx.commit(ctx); err != nil {
		rollback()
		return textRefused(err)
	}
	tx.Committed()
	return nil
}

// textRefused answers EINVALID for text PostgreSQL cannot hold (a NUL
// character, bytes that are not UTF-8: 22021, 22P05), which SQLite stores:
// the services check the fields they know, and this is what the rest gets
// instead of an internal error.
func textRefused(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		return mesh.Errorf(mesh.EINVALID, "the input holds a NUL character or bytes that are not UTF-8, which the store cannot keep")
	}
	return err
}

// commit commits the transaction in one round trip with what it writes
// last: its deferred writes (pgTx.deferWrite), the stamp of an adding
// transaction's access rows (queueStamp) and the queued audit entries.
// Nothing is sent when the transaction sent and wrote nothing.
func (tx *Tx) commit(ctx context.Context) error {
	tx.tx.beforeCommit()
	b := &pgx.Batch{}
	stamped := tx.queueStamp(b)
	audited := tx.queueAudit(b)
	if len(b.QueuedQueries) == 0 && tx.tx.idle() {
		return nil
	}
	b.Queue(`COMMIT`)
	br, err := tx.tx.sendBatch(ctx, b)
	if err != nil {
		return err
	}
	if err = stamped(br); err == nil {
		err = audited(br)
	}
	if err == nil {
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err == nil && tag.String() != "COMMIT" {
			err = errors.New("the transaction was rolled back")
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// migrate applies the pending migrations in order, each in a transaction
// of its own that holds the migration lock and records it. The lock is a
// transaction's (pg_advisory_xact_lock), taken anew for each migration: a
// replica that stalls while it migrates holds it only inside a transaction,
// which the idle-in-transaction timeout ends, and never between two
// migrations, when a session's lock would keep every other replica from
// starting for as long as it stalls. So replicas starting together may take
// turns: each migration reads, under the lock, what is applied, and applies
// the first migration still pending.
func (db *DB) migrate(ctx context.Context) error {
	all, err := store.LoadMigrations(migrationsFS, "migrations")
	if err != nil {
		return err
	}
	if err := store.CheckSteps(all, migrationSteps); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	for {
		var m *store.Migration
		err := pgx.BeginTxFunc(ctx, db.pool, migrationTx, func(tx pgx.Tx) (err error) {
			if m, err = nextMigration(ctx, tx, all); err != nil || m == nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if step := migrationSteps[m.Version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, db.clock.Now())
			return err
		})
		switch {
		case err != nil && m != nil:
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		case err != nil:
			return fmt.Errorf("postgres: migrate: %w", err)
		case m == nil:
			return nil
		}
	}
}

// migrationTx is read committed whatever the server's default, so that
// what a migration's transaction reads after it waited for the lock sees
// what the lock's holder committed.
var migrationTx = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// nextMigration takes the migration lock in tx and returns the first of all
// the store has not applied, or nil when none is left.
func nextMigration(ctx context.Context, tx pgx.Tx, all []store.Migration) (*store.Migration, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range versions {
		applied[v] = true
	}
	pending, err := store.Pending(all, applied)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	return &pending[0], nil
}

// isNoRows reports whether err is pgx.ErrNoRows; callers turn it into ENOTFOUND.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
