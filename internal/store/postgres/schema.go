package postgres

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// connect opens one connection to the server at dbURL. The URL is read as
// the pool reads it, so that the pool's own settings (pool_max_conns, ...),
// which a server would refuse as unknown parameters, may stay in it.
func connect(ctx context.Context, dbURL string) (*pgx.Conn, error) {
	cfg, err := parseConnConfig(dbURL)
	if err != nil {
		return nil, err
	}
	return connectConfig(ctx, cfg)
}

// parseConnConfig reads dbURL as the pool reads it (see connect).
func parseConnConfig(dbURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	return cfg.ConnConfig, nil
}

func connectConfig(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return conn, nil
}

// SchemaURL creates schema on the server at dbURL if it is missing and
// returns dbURL with its search_path set to the schema, so that every
// connection made from the result (a store, or a server process given it)
// works in that schema alone.
func SchemaURL(ctx context.Context, dbURL, schema string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("postgres: parse url: %w", err)
	}
	cfg, err := parseConnConfig(dbURL)
	if err != nil {
		return "", err
	}
	if err := createSchema(ctx, cfg, schema); err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropSchema drops schema, and everything in it, on the server at dbURL.
func DropSchema(ctx context.Context, dbURL, schema string) error {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("postgres: drop schema %s: %w", schema, err)
	}
	return nil
}

// createSchema creates schema, if missing, on a connection made from cfg.
func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := connectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: create schema %s: %w", schema, err)
	}
	return nil
}

// SchemaSize returns the bytes schema's tables take on the server at dbURL,
// with their indexes and TOAST data.
func SchemaSize(ctx context.Context, dbURL, schema string) (int64, error) {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	err = conn.QueryRow(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, schema).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: size of schema %s: %w", schema, err)
	}
	return n, nil
}

// WithBackend calls fn with the process id of the server backend serving a
// new connection to dbURL, while the connection is open: on the server's
// machine it names one of the server's processes (a load on the same
// machine reads their CPU time).
func WithBackend(ctx context.Context, dbURL string, fn func(pid int)) error {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return fmt.Errorf("postgres: backend pid: %w", err)
	}
	fn(pid)
	return nil
}
