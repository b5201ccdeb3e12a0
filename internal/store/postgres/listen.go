package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// authChannel is the LISTEN/NOTIFY channel of changes that may end or narrow
// API tokens. Migration 0008's triggers notify it with the changed table's
// schema, so that stores sharing a database in different schemas tell their
// changes apart.
const authChannel = "meshgate_auth"

// ListenAuth calls changed after each committed change that may end or
// narrow an API token (revocation, password reset, user deletion, a user's
// roles or account changed), from any replica, until ctx ends. It listens
// on a connection of its own, outside the pool, so that it takes nothing
// from the requests, and reconnects after errors; it also calls changed
// each time it starts listening, since changes may have been missed before.
func (db *DB) ListenAuth(ctx context.Context, changed func()) error {
	for {
		db.listenAuth(ctx, changed)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
			// Reconnect; the cache's TTL bounds what the gap may miss.
		}
	}
}

func (db *DB) listenAuth(ctx context.Context, changed func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+authChannel); err != nil {
		return err
	}
	changed()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == schema {
			changed()
		}
	}
}
