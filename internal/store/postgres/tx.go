package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/store"
)

// Tx is a PostgreSQL transaction. Each area's methods live in the file named after it.
type Tx struct {
	tx  pgTx
	now func() time.Time
	// TxState keeps the AfterCommit functions, the audit entries still to
	// write and the memo of rows read, which tx shows every statement.
	store.TxState
}

var _ store.Tx = (*Tx)(nil)

// pgTx is the transaction the store's statements run in; each statement is
// shown to the read memo first, which a change or a lock may empty.
type pgTx struct {
	pgx.Tx
	memo *store.ReadMemo
}

func newTx(t pgx.Tx, now func() time.Time) *Tx {
	tx := &Tx{now: now}
	tx.tx = pgTx{Tx: t, memo: tx.Memo()}
	return tx
}

func (t pgTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.memo.Saw(sql)
	return t.Tx.Exec(ctx, sql, args...)
}

// execRequestWrite and queryRowRequestWrite run the store's own write of one
// access request, which the caller writes through to the memo
// (ReadMemo.SawRequestWrite).
func (t pgTx) execRequestWrite(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.memo.SawRequestWrite(sql)
	return t.Tx.Exec(ctx, sql, args...)
}

func (t pgTx) queryRowRequestWrite(ctx context.Context, sql string, args ...any) pgx.Row {
	t.memo.SawRequestWrite(sql)
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t pgTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.memo.Saw(sql)
	return t.Tx.Query(ctx, sql, args...)
}

func (t pgTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.memo.Saw(sql)
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t pgTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		t.memo.Saw(q.SQL)
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t pgTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	t.memo.Saw("COPY " + table.Sanitize())
	return t.Tx.CopyFrom(ctx, table, columns, rows)
}
