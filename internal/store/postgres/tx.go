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

// pgTx is the transaction the store's statements run in, on a connection
// of the pool; each statement is shown to the read memo first, which a
// change or a lock may empty.
//
// Statements that answer nothing wait in the queue and go with the
// transaction's next statement in one round trip (a pipeline): the BEGIN,
// a workflow task's savepoint and its release, the access lock an adding
// transaction takes, and writes whose result nobody reads and which cannot
// fail in a transaction that has not failed (deferWrite). So they cost no
// trip of their own. Their order is kept, so what follows them runs after
// them; should one fail (only in a transaction that has failed already),
// the next statement reports it. Before the commit, the writes go with the
// COMMIT's batch and what follows the last of them is dropped: the commit
// ends every savepoint.
type pgTx struct {
	conn *pgx.Conn
	memo *store.ReadMemo
	q    *queue
}

// queue holds what waits for the next round trip.
type queue struct {
	// begin is the BEGIN statement until it has been sent.
	begin    string
	deferred []deferred
}

// deferred is a statement waiting for the next round trip.
type deferred struct {
	sql   string
	args  []any
	write bool
}

func newTx(conn *pgx.Conn, begin string, now func() time.Time) *Tx {
	tx := &Tx{now: now}
	tx.tx = pgTx{conn: conn, memo: tx.Memo(), q: &queue{begin: begin}}
	return tx
}

// begun reports whether the BEGIN has been sent: only then is there a
// transaction to commit or roll back.
func (t pgTx) begun() bool { return t.q.begin == "" }

// idle reports whether the transaction has sent nothing and queued
// nothing: there is nothing to commit.
func (t pgTx) idle() bool { return !t.begun() && len(t.q.deferred) == 0 }

// deferStatement queues a savepoint or lock statement for the next round
// trip. The memo sees it now: a lock (the access lock an adding
// transaction takes) may wait for another transaction, whose commit what
// follows must read, not the rows read before.
func (t pgTx) deferStatement(sql string) {
	t.memo.Saw(sql)
	t.q.deferred = append(t.q.deferred, deferred{sql: sql})
}

// deferLock is deferStatement for a lock statement with arguments.
func (t pgTx) deferLock(sql string, args ...any) {
	t.memo.Saw(sql)
	t.q.deferred = append(t.q.deferred, deferred{sql: sql, args: args})
}

// deferWrite queues a write for the next round trip. Only for a write
// whose result nobody reads and which no constraint can refuse: should it
// fail, the statement that carries it reports its error.
func (t pgTx) deferWrite(sql string, args ...any) {
	t.memo.Saw(sql)
	t.q.deferred = append(t.q.deferred, deferred{sql: sql, args: args, write: true})
}

// deferRequestWrite is deferWrite for the store's own write of one access
// request (ReadMemo.SawRequestWrite).
func (t pgTx) deferRequestWrite(sql string, args ...any) {
	t.memo.SawRequestWrite(sql)
	t.q.deferred = append(t.q.deferred, deferred{sql: sql, args: args, write: true})
}

// beforeCommit drops the deferred statements that follow the last
// deferred write: the commit ends the savepoints they start or release,
// and a lock that guards no write is not needed. The writes stay, for the
// commit's batch to send.
func (t pgTx) beforeCommit() {
	d := t.q.deferred
	n := len(d)
	for n > 0 && !d[n-1].write {
		n--
	}
	clear(d[n:])
	t.q.deferred = d[:n]
}

// pending reports whether statements wait for the next round trip.
func (t pgTx) pending() bool { return t.q.begin != "" || len(t.q.deferred) > 0 }

// takeDeferred moves the waiting statements, the BEGIN first, into a new
// batch and says how many there were.
func (t pgTx) takeDeferred() (*pgx.Batch, int) {
	b := &pgx.Batch{}
	if t.q.begin != "" {
		b.Queue(t.q.begin)
		t.q.begin = ""
	}
	for _, d := range t.q.deferred {
		b.Queue(d.sql, d.args...)
	}
	clear(t.q.deferred)
	t.q.deferred = t.q.deferred[:0]
	return b, len(b.QueuedQueries)
}

// pipeline sends the waiting statements and sql in one batch, and returns
// the batch's results positioned at sql's. Nil when nothing waited.
func (t pgTx) pipeline(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	if !t.pending() {
		return nil, nil
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	return t.sendWith(ctx, b)
}

// sendBatch sends the waiting statements and b's in one batch, and
// returns the batch's results positioned at b's first.
func (t pgTx) sendBatch(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	for _, q := range b.QueuedQueries {
		t.memo.Saw(q.SQL)
	}
	return t.sendWith(ctx, b)
}

// sendWith sends the waiting statements and then b's in one batch, and
// returns the batch's results positioned at b's first.
func (t pgTx) sendWith(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	all, n := t.takeDeferred()
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, all)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// flush sends the waiting statements alone.
func (t pgTx) flush(ctx context.Context) error {
	if !t.pending() {
		return nil
	}
	b, _ := t.takeDeferred()
	return t.conn.SendBatch(ctx, b).Close()
}

func (t pgTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.memo.Saw(sql)
	return t.exec(ctx, sql, args)
}

func (t pgTx) exec(ctx context.Context, sql string, args []any) (pgconn.CommandTag, error) {
	br, err := t.pipeline(ctx, sql, args)
	switch {
	case err != nil:
		return pgconn.CommandTag{}, err
	case br == nil:
		return t.conn.Exec(ctx, sql, args...)
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// execRequestWrite and queryRowRequestWrite run the store's own write of one
// access request, which the caller writes through to the memo
// (ReadMemo.SawRequestWrite).
func (t pgTx) execRequestWrite(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.memo.SawRequestWrite(sql)
	return t.exec(ctx, sql, args)
}

// execExecutionsWrite runs the store's own update of the executions ids,
// by id (ReadMemo.SawExecutionsWrite).
func (t pgTx) execExecutionsWrite(ctx context.Context, ids []string, sql string, args ...any) (pgconn.CommandTag, error) {
	t.memo.SawExecutionsWrite(sql, ids)
	return t.exec(ctx, sql, args)
}

func (t pgTx) queryRowRequestWrite(ctx context.Context, sql string, args ...any) pgx.Row {
	t.memo.SawRequestWrite(sql)
	return t.queryRow(ctx, sql, args)
}

func (t pgTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.memo.Saw(sql)
	br, err := t.pipeline(ctx, sql, args)
	switch {
	case err != nil:
		return nil, err
	case br == nil:
		return t.conn.Query(ctx, sql, args...)
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t pgTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.memo.Saw(sql)
	return t.queryRow(ctx, sql, args)
}

func (t pgTx) queryRow(ctx context.Context, sql string, args []any) pgx.Row {
	br, err := t.pipeline(ctx, sql, args)
	switch {
	case err != nil:
		return errRow{err}
	case br == nil:
		return t.conn.QueryRow(ctx, sql, args...)
	}
	return batchRow{row: br.QueryRow(), br: br}
}

func (t pgTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		t.memo.Saw(q.SQL)
	}
	br, err := t.sendWith(ctx, b)
	if err != nil {
		return errBatch{err}
	}
	return br
}

func (t pgTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	t.memo.Saw("COPY " + table.Sanitize())
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, rows)
}

// batchRow is a row read from a pipeline; reading it ends the batch.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errBatch is a batch that was not sent, as a statement before it failed.
type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }

// batchRows are rows read from a pipeline; closing them ends the batch.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}
