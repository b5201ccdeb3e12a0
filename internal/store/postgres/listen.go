package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// authChannel is the LISTEN/NOTIFY channel of changes that may end or
// narrow API tokens. Migration 0008's triggers notify it with the changed
// table's schema, so that stores sharing a database in different schemas
// tell their changes apart.
const authChannel = "meshgate_auth"

// ListenAuth calls changed after each committed change that may end or
// narrow an API token (revocation, password reset, user deletion, a user's
// roles or account changed), from any replica, until ctx ends, as listen
// does: also each time it starts listening, the token cache's TTL bounding
// what a gap may miss.
func (db *DB) ListenAuth(ctx context.Context, changed func()) error {
	return db.listen(ctx, authChannel, func(payload, schema string) bool { return payload == schema }, changed)
}

// A listener's waits between attempts, and how long it gives one to
// connect and LISTEN: a server that accepts the connection and never
// answers would hold it otherwise, with no TCP user timeout to end it as
// nothing is left unacknowledged.
const (
	listenRetryFirst = 100 * time.Millisecond
	listenRetryMax   = 5 * time.Second
	listenTimeout    = 10 * time.Second
)

// listen calls changed for each notification on channel that mine says is
// this store's (by the payload and the connection's schema), until ctx
// ends. It listens on a connection of its own, outside the pool, so that it
// takes nothing from the requests, and calls changed each time it starts
// listening, since what was sent while it did not listen is lost to it.
// After a failed attempt or a lost connection it tries again, waiting
// listenRetryFirst, doubled after each attempt that fails up to
// listenRetryMax, and listenRetryFirst again once it listens. It logs the
// first error of an outage and, once listening again, how long the outage
// lasted: a server down for hours takes two lines, not one a second.
func (db *DB) listen(ctx context.Context, channel string, mine func(payload, schema string) bool, changed func()) error {
	wait := listenRetryFirst
	var down time.Time // when the outage began; zero while none
	failed := 0        // the errors of this outage
	listening := func() {
		if !down.IsZero() {
			db.log.Info("postgres: listening again", "channel", channel,
				"down", db.clock.Now().Sub(down).Round(time.Millisecond), "errors", failed)
		}
		wait, down, failed = listenRetryFirst, time.Time{}, 0
		changed()
	}
	for {
		err := db.listenOnce(ctx, channel, mine, listening, changed)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failed++; down.IsZero() {
			down = db.clock.Now()
			db.log.Warn("postgres: not listening for other replicas' changes, trying again until it does",
				"channel", channel, "err", err)
		}
		if err := db.sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenOnce connects and listens on channel, calls listening once it
// does and changed for each notification mine takes, and returns the
// error that ends it.
func (db *DB) listenOnce(ctx context.Context, channel string, mine func(payload, schema string) bool, listening, changed func()) error {
	start, cancel := context.WithTimeout(ctx, db.listenTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(start, db.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: listen %s: %w", channel, err)
	}
	defer func() {
		// The server may not answer: close without waiting on it for long.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), db.listenTimeout)
		defer cancel()
		conn.Close(ctx)
	}()
	var schema string
	if err := conn.QueryRow(start, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: listen %s: %w", channel, err)
	}
	if _, err := conn.Exec(start, "LISTEN "+channel); err != nil {
		return fmt.Errorf("postgres: listen %s: %w", channel, err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("postgres: listen %s: %w", channel, err)
		}
		if mine(n.Payload, schema) {
			changed()
		}
	}
}
