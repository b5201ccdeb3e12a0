package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The timeouts below are set on every connection the store makes, pooled
// or not, so that a replica that stalls (stopped, a frozen VM, a host cut
// off before its connection is noticed dead) holds its locks, and every
// other replica's work on what they cover, for a while and not without
// limit; and its listeners hold back PostgreSQL's notification queue no
// longer either (ListenAuth, ListenAccess).

// DefaultIdleInTransactionTimeout is how long a transaction of the store may
// wait between two statements before PostgreSQL ends its session, rolling
// it back and releasing its locks. A replica that stalls in a transaction
// would otherwise hold its row locks, and every replica's work on those
// rows, without limit. Between two statements meshgate's transactions do
// only quick work of their own: mail, webhooks, external tasks and the
// data platforms' grants run outside them, so a minute is far more than
// any needs. (An approval's plan asks its platform whether a role exists
// inside a read transaction: should the platform hang for longer, the read
// fails instead of keeping its snapshot.)
const DefaultIdleInTransactionTimeout = time.Minute

// DefaultTCPUserTimeout is how long what PostgreSQL sends a connection of
// the store may stay unacknowledged, or wait for the connection's window to
// open, before the server's kernel drops the connection and PostgreSQL ends
// its session, rolling its transaction back and releasing its locks
// (tcp_user_timeout, on the server's end of the connection). A replica that
// stalls while the server sends it a result larger than the connection's
// buffers leaves its backend blocked writing: active, not idle, so neither
// the idle-in-transaction timeout nor statement_timeout ends it, and TCP
// keepalives wait while data is unacknowledged. It also bounds how long the
// server retries sending to a host gone or cut off (without it, a quarter
// of an hour or more). A listener's backend that its stalled replica
// leaves waiting to write notifications ends as well: PostgreSQL cleans
// its notification queue no further than its slowest listener has read,
// and once the queue is full every transaction that notifies fails at
// commit. The store reads each result, and each notification, whole as it
// comes, so a minute is far more than a replica that runs needs.
const DefaultTCPUserTimeout = time.Minute

// MaxIdleInTransactionTimeout and MaxTCPUserTimeout are the longest
// timeouts PostgreSQL takes (its milliseconds are an int32: about 24.9 days).
const (
	MaxIdleInTransactionTimeout = math.MaxInt32 * time.Millisecond
	MaxTCPUserTimeout           = math.MaxInt32 * time.Millisecond
)

// sessionTimeout is a setting of PostgreSQL's, in milliseconds, that the
// store gives each of its connections.
type sessionTimeout struct {
	setting string        // PostgreSQL's name
	name    string        // the option's, for errors
	d       time.Duration // 0: def; negative: PostgreSQL's own setting
	def     time.Duration
}

// setTimeouts returns the AfterConnect that sets the options' timeouts on a
// new connection, or nil when none is to be set. It goes in the store's
// connection configuration, below the pool, so that every connection the
// store makes from it has them: the pool's, and those it makes outside the
// pool (the one that creates its schema, ListenAuth's and ListenAccess's). A
// setting the connection's startup already set (source client: the URL's
// options or runtime parameter, PGOPTIONS) is kept, since the operator meant
// it to win; one the server does not have (tcp_user_timeout before
// PostgreSQL 12) is not set. They are set once a connection, by one
// statement rather than as startup parameters: the server says what the
// startup set however it was spelled, and a pooler that refuses startup
// parameters it does not know passes it.
func (opts Options) setTimeouts() (pgconn.AfterConnectFunc, error) {
	var values []string
	for _, t := range []sessionTimeout{
		{"idle_in_transaction_session_timeout", "idle-in-transaction timeout", opts.IdleInTransactionTimeout, DefaultIdleInTransactionTimeout},
		{"tcp_user_timeout", "TCP user timeout", opts.TCPUserTimeout, DefaultTCPUserTimeout},
	} {
		d := t.d
		if d == 0 {
			d = t.def
		}
		if d < 0 {
			continue
		}
		if d > math.MaxInt32*time.Millisecond {
			return nil, fmt.Errorf("postgres: %s %s is longer than PostgreSQL takes (%s)", t.name, d, math.MaxInt32*time.Millisecond)
		}
		ms := (d + time.Millisecond - 1) / time.Millisecond // at least 1ms: 0 would turn it off
		values = append(values, fmt.Sprintf("('%s', '%d')", t.setting, ms))
	}
	if len(values) == 0 {
		return nil, nil
	}
	sql := `SELECT set_config(name, v.ms, false)
		FROM pg_settings JOIN (VALUES ` + strings.Join(values, ", ") + `) v (name, ms) USING (name)
		WHERE source <> 'client'`
	return func(ctx context.Context, conn *pgconn.PgConn) error {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			return fmt.Errorf("postgres: set the connection's timeouts: %w", err)
		}
		return nil
	}, nil
}
