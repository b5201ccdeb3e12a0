package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// auditChunk bounds the rows of one audit insert (9 variables each, well
// under SQLite's limit of 32,766).
const auditChunk = 128

// writeAudit writes the queued audit entries, auditChunk rows a statement,
// and sets their IDs: SQLite numbers the rows of one INSERT consecutively,
// so the last insert id gives them all.
func (tx *Tx) writeAudit(ctx context.Context) error {
	es := tx.TakeAudit()
	for len(es) > 0 {
		n := min(len(es), auditChunk)
		chunk := es[:n]
		es = es[n:]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_log
		(time, principal, account_id, action, resource, remote_addr, request_id, result, detail) VALUES `)
		args := make([]any, 0, 9*n)
		for i, e := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, formatTime(e.Time), e.Principal, e.AccountID, e.Action, e.Resource, e.RemoteAddr, e.RequestID, e.Result, e.Detail)
		}
		res, err := tx.tx.ExecContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("insert audit entries: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("insert audit entries: %w", err)
		}
		for i, e := range chunk {
			e.ID = last - int64(n-1-i)
		}
	}
	return nil
}

// DeleteAuditBefore deletes at most limit entries older than before, oldest first.
func (tx *Tx) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := tx.writeAudit(ctx); err != nil {
		return 0, err
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE time < ? ORDER BY time, id LIMIT ?)`, formatTime(before), limit)
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// FindAuditEntries returns entries matching f, newest first.
func (tx *Tx) FindAuditEntries(ctx context.Context, f store.AuditFilter) ([]*mesh.AuditEntry, error) {
	if err := tx.writeAudit(ctx); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	eq := func(col, v string) {
		if v == "" {
			return
		}
		if p, ok := strings.CutSuffix(v, "*"); ok {
			where = append(where, col+" >= ? AND "+col+" < ?")
			args = append(args, p, p+"\uffff")
			return
		}
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	eq("principal", f.Principal)
	eq("account_id", f.AccountID)
	eq("action", f.Action)
	eq("resource", f.Resource)
	eq("result", f.Result)
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, formatTime(f.Until))
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT id, time, principal, account_id, action, resource, remote_addr, request_id, result, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, store.ListLimit(f.Limit))
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	return collect(rows, "scan audit entry", func(r rowScanner) (*mesh.AuditEntry, error) {
		var e mesh.AuditEntry
		var t string
		if err := r.Scan(&e.ID, &t, &e.Principal, &e.AccountID, &e.Action, &e.Resource, &e.RemoteAddr, &e.RequestID, &e.Result, &e.Detail); err != nil {
			return nil, err
		}
		var err error
		if e.Time, err = parseTime(t); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", e.ID, err)
		}
		return &e, nil
	})
}
