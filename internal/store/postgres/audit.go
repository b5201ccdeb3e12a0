package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// InsertAudit appends e. The entry is written with the transaction's others
// in one statement before it commits (or before the audit log is read in
// it); e.ID is set then.
func (tx *Tx) InsertAudit(ctx context.Context, e *mesh.AuditEntry) error {
	tx.QueueAudit(e)
	return nil
}

// writeAudit writes the queued audit entries in one statement and sets
// their IDs.
func (tx *Tx) writeAudit(ctx context.Context) error {
	b := &pgx.Batch{}
	read := tx.queueAudit(b)
	if len(b.QueuedQueries) == 0 {
		return nil
	}
	br, err := tx.tx.sendBatch(ctx, b)
	if err != nil {
		return fmt.Errorf("insert audit entries: %w", err)
	}
	err = read(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("insert audit entries: %w", cerr)
	}
	return err
}

// queueAudit queues in b the statement that writes the queued audit
// entries; read sets their IDs once b has run. The rows are inserted in
// the order given, each taking the next value of the id sequence, so the
// ids in ascending order are the entries' in order, whatever order
// RETURNING gives them in. Nothing when no entry is queued.
func (tx *Tx) queueAudit(b *pgx.Batch) (read func(pgx.BatchResults) error) {
	es := tx.TakeAudit()
	if len(es) == 0 {
		return func(pgx.BatchResults) error { return nil }
	}
	times := make([]time.Time, len(es))
	cols := make([][]string, 8)
	for i := range cols {
		cols[i] = make([]string, len(es))
	}
	for i, e := range es {
		times[i] = e.Time
		for c, v := range []string{e.Principal, e.AccountID, e.Action, e.Resource, e.RemoteAddr, e.RequestID, e.Result, e.Detail} {
			cols[c][i] = v
		}
	}
	b.Queue(`INSERT INTO audit_log
		(time, principal, account_id, action, resource, remote_addr, request_id, result, detail)
		SELECT t, p, a, ac, r, ra, rq, re, d
		FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
			WITH ORDINALITY AS e(t, p, a, ac, r, ra, rq, re, d, n)
		ORDER BY n
		RETURNING id`, times, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7])
	return func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("insert audit entries: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("insert audit entries: %w", err)
		}
		if len(ids) != len(es) {
			return fmt.Errorf("insert audit entries: %d ids for %d entries", len(ids), len(es))
		}
		slices.Sort(ids)
		for i, e := range es {
			e.ID = ids[i]
		}
		return nil
	}
}

// DeleteAuditBefore deletes at most limit entries older than before, oldest first.
func (tx *Tx) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := tx.writeAudit(ctx); err != nil {
		return 0, err
	}
	tag, err := tx.tx.Exec(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE time < $1 ORDER BY time, id LIMIT $2)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// FindAuditEntries returns entries matching f, newest first.
func (tx *Tx) FindAuditEntries(ctx context.Context, f store.AuditFilter) ([]*mesh.AuditEntry, error) {
	if err := tx.writeAudit(ctx); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	eq := func(col, v string) {
		if v == "" {
			return
		}
		if p, ok := strings.CutSuffix(v, "*"); ok {
			where = append(where, "starts_with("+col+", "+arg(p)+")")
			return
		}
		where = append(where, col+" = "+arg(v))
	}
	eq("principal", f.Principal)
	eq("account_id", f.AccountID)
	eq("action", f.Action)
	eq("resource", f.Resource)
	eq("result", f.Result)
	if !f.Since.IsZero() {
		where = append(where, "time >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "time < "+arg(f.Until))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT id, time, principal, account_id, action, resource, remote_addr, request_id, result, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.AuditEntry, error) {
		var e mesh.AuditEntry
		err := row.Scan(&e.ID, &e.Time, &e.Principal, &e.AccountID, &e.Action, &e.Resource, &e.RemoteAddr, &e.RequestID, &e.Result, &e.Detail)
		e.Time = e.Time.UTC()
		return &e, err
	})
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	return out, nil
}
