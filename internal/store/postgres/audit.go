package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// InsertAudit appends e and sets its ID.
func (tx *Tx) InsertAudit(ctx context.Context, e *mesh.AuditEntry) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO audit_log
		(time, principal, account_id, action, resource, remote_addr, request_id, result, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.Time, e.Principal, e.AccountID, e.Action, e.Resource, e.RemoteAddr, e.RequestID, e.Result, e.Detail).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert audit entry: %w", err)
	}
	return nil
}

// DeleteAuditBefore deletes at most limit entries older than before, oldest first.
func (tx *Tx) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE time < $1 ORDER BY time, id LIMIT $2)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// FindAuditEntries returns entries matching f, newest first.
func (tx *Tx) FindAuditEntries(ctx context.Context, f store.AuditFilter) ([]*mesh.AuditEntry, error) {
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
