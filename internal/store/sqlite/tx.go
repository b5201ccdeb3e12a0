package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// Tx is a SQLite transaction. Each area's methods live in the file named after it.
type Tx struct {
	tx  sqlTx
	now func() time.Time
	// TxState keeps the AfterCommit functions, the audit entries still to
	// write and the memo of rows read, which tx shows every statement.
	store.TxState
}

var _ store.Tx = (*Tx)(nil)

// sqlTx is the transaction the store's statements run in; each statement
// is shown to the read memo first, which a change may empty. A write
// transaction's statements run to their end whatever becomes of the
// caller's context (detached): interrupting a write rolls back the whole
// transaction, which other callers' work shares (group commit).
type sqlTx struct {
	*sql.Tx
	memo     *store.ReadMemo
	detached bool
}

func newTx(t *sql.Tx, now func() time.Time) *Tx {
	tx := &Tx{now: now}
	tx.tx = sqlTx{Tx: t, memo: tx.Memo()}
	return tx
}

// newWriteTx is newTx for a write transaction.
func newWriteTx(t *sql.Tx, now func() time.Time) *Tx {
	tx := newTx(t, now)
	tx.tx.detached = true
	return tx
}

func (t sqlTx) ctx(ctx context.Context) context.Context {
	if t.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.memo.Saw(query)
	return t.Tx.ExecContext(t.ctx(ctx), query, args...)
}

// execRequestWrite runs the store's own write of one access request, which
// the caller writes through to the memo (ReadMemo.SawRequestWrite).
func (t sqlTx) execRequestWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.memo.SawRequestWrite(query)
	return t.Tx.ExecContext(t.ctx(ctx), query, args...)
}

// execExecutionsWrite runs the store's own update of the executions ids,
// by id (ReadMemo.SawExecutionsWrite).
func (t sqlTx) execExecutionsWrite(ctx context.Context, ids []string, query string, args ...any) (sql.Result, error) {
	t.memo.SawExecutionsWrite(query, ids)
	return t.Tx.ExecContext(t.ctx(ctx), query, args...)
}

func (t sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.memo.Saw(query)
	return t.Tx.QueryContext(t.ctx(ctx), query, args...)
}

func (t sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	t.memo.Saw(query)
	return t.Tx.QueryRowContext(t.ctx(ctx), query, args...)
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
