package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const requestColumns = `id, requester_account, requester_user, target_account, database_name, table_name, owner_account,
	permissions, justification, duration_seconds, expires_at, status, error, cause, pii_columns, decided_by, decided_at,
	decision_comment, decision_channel, approved, ended_by, grant_id, share_id, execution_id, state_machine,
	state_machine_version, created_at, updated_at, idempotency_key`

// InsertAccessRequest stores r unless an open request for the same target and resource exists.
func (tx *Tx) InsertAccessRequest(ctx context.Context, r *mesh.AccessRequest) (bool, error) {
	if _, err := tx.FindAccountByID(ctx, r.TargetAccount); err != nil {
		return false, err
	}
	res, err := tx.tx.execRequestWrite(ctx, `INSERT INTO access_requests
		(requester_account, requester_user, target_account, database_name, table_name, owner_account, permissions,
		 justification, duration_seconds, expires_at, status, error, cause, pii_columns, execution_id, state_machine,
		 state_machine_version, created_at, updated_at, idempotency_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		r.RequesterAccount, r.RequesterUser, r.TargetAccount, r.Database, r.Table, r.OwnerAccount, int64(r.Permissions),
		r.Justification, int64(time.Duration(r.Duration)/time.Second), nullTime(r.ExpiresAt), r.Status, r.Error, r.Cause,
		strings.Join(r.PIIColumns, ","), r.ExecutionID, r.StateMachine, r.StateMachineVersion,
		formatTime(r.CreatedAt), formatTime(r.UpdatedAt), nullKey(r.IdempotencyKey))
	if err != nil {
		return false, fmt.Errorf("insert access request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return false, err
	}
	tx.Memo().PutRequest(store.StoredRequest(r, store.TimePrecision("sqlite")))
	return true, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func scanRequest(sc rowScanner) (*mesh.AccessRequest, error) {
	var r mesh.AccessRequest
	var perms, dur int64
	var expires, decidedAt sql.NullString
	var pii, decidedBy, comment, channel, created, updated string
	var approved bool
	var key sql.NullString
	if err := sc.Scan(&r.ID, &r.RequesterAccount, &r.RequesterUser, &r.TargetAccount, &r.Database, &r.Table, &r.OwnerAccount,
		&perms, &r.Justification, &dur, &expires, &r.Status, &r.Error, &r.Cause, &pii, &decidedBy, &decidedAt,
		&comment, &channel, &approved, &r.EndedBy, &r.GrantID, &r.ShareID, &r.ExecutionID, &r.StateMachine,
		&r.StateMachineVersion, &created, &updated, &key); err != nil {
		return nil, err
	}
	r.Permissions, r.Duration, r.PIIColumns = mesh.Permissions(perms), mesh.Duration(time.Duration(dur)*time.Second), splitList(pii)
	r.IdempotencyKey = key.String
	var err error
	if r.ExpiresAt, err = parseNullTime(expires); err != nil {
		return nil, err
	}
	if decidedBy != "" {
		d := &mesh.RequestDecision{By: decidedBy, Comment: comment, Channel: channel, Approved: approved}
		if d.At, err = parseNullTime(decidedAt); err != nil {
			return nil, err
		}
		r.Decision = d
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &r, nil
}

func (tx *Tx) findRequest(ctx context.Context, key, where string, args ...any) (*mesh.AccessRequest, error) {
	r, err := scanRequest(tx.tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM access_requests WHERE `+where, args...))
	if isNoRows(err) {
		return nil, mesh.NotFound("access request", key)
	}
	if err != nil {
		return nil, fmt.Errorf("find access request %s: %w", key, err)
	}
	tx.Memo().PutRequest(r)
	return r, nil
}

// FindAccessRequest returns a request; ENOTFOUND.
func (tx *Tx) FindAccessRequest(ctx context.Context, id int64) (*mesh.AccessRequest, error) {
	if r, ok := tx.Memo().Request(id); ok {
		return r, nil
	}
	return tx.findRequest(ctx, fmt.Sprint(id), `id = ?`, id)
}

// FindOpenAccessRequest returns the open request for a target and resource; ENOTFOUND.
func (tx *Tx) FindOpenAccessRequest(ctx context.Context, target, database, table string) (*mesh.AccessRequest, error) {
	return tx.findRequest(ctx, target+" "+database+"."+table, `target_account = ? AND database_name = ? AND table_name = ?
		AND status IN ('SUBMITTED', 'PENDING_APPROVAL')`, target, database, table)
}

// FindAccessRequestByKey returns the request a user made with an idempotency key; ENOTFOUND.
func (tx *Tx) FindAccessRequestByKey(ctx context.Context, account, user, key string) (*mesh.AccessRequest, error) {
	return tx.findRequest(ctx, "with Idempotency-Key "+key, `requester_account = ? AND requester_user = ? AND idempotency_key = ?`,
		account, user, key)
}

// FindAccessRequestByExecution returns the request an execution runs; ENOTFOUND.
func (tx *Tx) FindAccessRequestByExecution(ctx context.Context, executionID string) (*mesh.AccessRequest, error) {
	if r, ok := tx.Memo().RequestByExecution(executionID); ok {
		return r, nil
	}
	return tx.findRequest(ctx, "of execution "+executionID, `execution_id = ?`, executionID)
}

// FindAccessRequests returns the requests matching f, newest first.
func (tx *Tx) FindAccessRequests(ctx context.Context, f store.RequestFilter) ([]*mesh.AccessRequest, error) {
	var where, alt []string
	var args, anyArgs []any
	if f.VisibleRequester != "" {
		acct, user, _ := strings.Cut(f.VisibleRequester, "/")
		alt = append(alt, `(requester_account = ? AND requester_user = ?)`)
		anyArgs = append(anyArgs, acct, user)
	}
	if f.VisibleOwner != "" {
		alt = append(alt, `owner_account = ?`)
		anyArgs = append(anyArgs, f.VisibleOwner)
	}
	if f.VisibleAccount != "" {
		alt = append(alt, `requester_account = ?`, `target_account = ?`)
		anyArgs = append(anyArgs, f.VisibleAccount, f.VisibleAccount)
	}
	if len(alt) > 0 {
		where = append(where, "("+strings.Join(alt, " OR ")+")")
		args = append(args, anyArgs...)
	}
	if f.Requester != "" {
		acct, user, _ := strings.Cut(f.Requester, "/")
		where = append(where, `requester_account = ? AND requester_user = ?`)
		args = append(args, acct, user)
	}
	if f.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, f.Status)
	}
	if f.Open {
		where = append(where, `status IN ('SUBMITTED', 'PENDING_APPROVAL')`) // as the index access_requests_open
	}
	if f.Database != "" {
		where = append(where, `database_name = ?`)
		args = append(args, f.Database)
		if f.Table != "" {
			where = append(where, `table_name = ?`)
			args = append(args, f.Table)
		}
	}
	if len(f.Databases) > 0 {
		where = append(where, `database_name IN (SELECT value FROM json_each(?))`)
		args = append(args, marshalJSON(f.Databases))
	}
	if f.GrantID != 0 {
		where = append(where, `grant_id = ?`)
		args = append(args, f.GrantID)
	}
	if !f.ExpiresBefore.IsZero() {
		where = append(where, `expires_at IS NOT NULL AND expires_at <= ?`)
		args = append(args, formatTime(f.ExpiresBefore))
	}
	if f.BeforeID > 0 {
		where = append(where, `id < ?`)
		args = append(args, f.BeforeID)
	}
	q := `SELECT ` + requestColumns + ` FROM access_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, store.ListLimit(f.Limit))
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find access requests: %w", err)
	}
	return collect(rows, "find access requests", scanRequest)
}

// UpdateAccessRequest saves r when its stored status is from.
func (tx *Tx) UpdateAccessRequest(ctx context.Context, r *mesh.AccessRequest, from string) error {
	before, _ := tx.Memo().Request(r.ID)
	d := r.Decision
	if d == nil {
		d = &mesh.RequestDecision{}
	}
	res, err := tx.tx.execRequestWrite(ctx, `UPDATE access_requests SET status = ?, error = ?, cause = ?, pii_columns = ?,
		decided_by = ?, decided_at = ?, decision_comment = ?, decision_channel = ?, approved = ?, ended_by = ?,
		grant_id = ?, share_id = ?, expires_at = ?, updated_at = ?
		WHERE id = ? AND status = ?`,
		r.Status, r.Error, r.Cause, strings.Join(r.PIIColumns, ","), d.By, nullTime(d.At), d.Comment, d.Channel, d.Approved,
		r.EndedBy, r.GrantID, r.ShareID, nullTime(r.ExpiresAt), formatTime(r.UpdatedAt), r.ID, from)
	if err != nil {
		return fmt.Errorf("update access request %d: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		tx.Memo().PutRequestUpdate(before, store.StoredRequest(r, store.TimePrecision("sqlite")))
		return nil
	}
	tx.Memo().ForgetRequest(r.ID) // read the stored row, not the memo's
	cur, err := tx.FindAccessRequest(ctx, r.ID)
	if err != nil {
		return err
	}
	return store.RequestConflict(cur)
}

const approvalColumns = `request_id, account_id, status, pii_columns, token_hash, decided_by, decided_at, decision_comment,
	decision_channel, approved, created_at, expires_at`

// UpsertApproval stores a request's approval.
func (tx *Tx) UpsertApproval(ctx context.Context, a *mesh.Approval) error {
	d := a.Decision
	if d == nil {
		d = &mesh.RequestDecision{}
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO approvals (`+approvalColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET account_id = excluded.account_id, status = excluded.status,
			pii_columns = excluded.pii_columns, token_hash = excluded.token_hash, decided_by = excluded.decided_by,
			decided_at = excluded.decided_at, decision_comment = excluded.decision_comment,
			decision_channel = excluded.decision_channel, approved = excluded.approved,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		a.RequestID, a.AccountID, a.Status, strings.Join(a.PIIColumns, ","), a.TokenHash, d.By, nullTime(d.At), d.Comment,
		d.Channel, d.Approved, formatTime(a.CreatedAt), nullTime(a.ExpiresAt))
	if err != nil {
		return fmt.Errorf("upsert approval %d: %w", a.RequestID, err)
	}
	return nil
}

func scanApproval(sc rowScanner) (*mesh.Approval, error) {
	var a mesh.Approval
	var pii, decidedBy, comment, channel, created string
	var decidedAt, expires sql.NullString
	var approved bool
	if err := sc.Scan(&a.RequestID, &a.AccountID, &a.Status, &pii, &a.TokenHash, &decidedBy, &decidedAt, &comment,
		&channel, &approved, &created, &expires); err != nil {
		return nil, err
	}
	a.PIIColumns = splitList(pii)
	var err error
	if decidedBy != "" {
		d := &mesh.RequestDecision{By: decidedBy, Comment: comment, Channel: channel, Approved: approved}
		if d.At, err = parseNullTime(decidedAt); err != nil {
			return nil, err
		}
		a.Decision = d
	}
	if a.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if a.ExpiresAt, err = parseNullTime(expires); err != nil {
		return nil, err
	}
	return &a, nil
}

// FindApproval returns a request's approval; ENOTFOUND.
func (tx *Tx) FindApproval(ctx context.Context, requestID int64) (*mesh.Approval, error) {
	a, err := scanApproval(tx.tx.QueryRowContext(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE request_id = ?`, requestID))
	if isNoRows(err) {
		return nil, mesh.NotFound("approval", fmt.Sprint(requestID))
	}
	if err != nil {
		return nil, fmt.Errorf("find approval %d: %w", requestID, err)
	}
	return a, nil
}

// FindApprovals returns the approvals matching f, newest first.
func (tx *Tx) FindApprovals(ctx context.Context, f store.ApprovalFilter) ([]*mesh.Approval, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		// while the account owns the request: its approvers see it
		where, args = append(where, `account_id = ? AND EXISTS (SELECT 1 FROM access_requests r
			WHERE r.id = approvals.request_id AND r.owner_account = approvals.account_id)`), append(args, f.AccountID)
	}
	if f.Status != "" {
		where, args = append(where, `status = ?`), append(args, f.Status)
	}
	if f.BeforeID > 0 {
		where, args = append(where, `request_id < ?`), append(args, f.BeforeID)
	}
	q := `SELECT ` + approvalColumns + ` FROM approvals`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY request_id DESC LIMIT ?`
	rows, err := tx.tx.QueryContext(ctx, q, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find approvals: %w", err)
	}
	return collect(rows, "find approvals", scanApproval)
}

// UpdateApproval saves a's status and decision when its stored status is from.
func (tx *Tx) UpdateApproval(ctx context.Context, a *mesh.Approval, from string) error {
	d := a.Decision
	if d == nil {
		d = &mesh.RequestDecision{}
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?,
		decision_comment = ?, decision_channel = ?, approved = ? WHERE request_id = ? AND status = ?`,
		a.Status, d.By, nullTime(d.At), d.Comment, d.Channel, d.Approved, a.RequestID, from)
	if err != nil {
		return fmt.Errorf("update approval %d: %w", a.RequestID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	cur, err := tx.FindApproval(ctx, a.RequestID)
	if err != nil {
		return err
	}
	return store.ApprovalConflict(cur)
}

// InsertNotification records n.
func (tx *Tx) InsertNotification(ctx context.Context, n *mesh.Notification) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO notifications (account_id, recipient, event, request_id, subject, body, created_at, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.AccountID, n.Recipient, n.Event, n.RequestID, n.Subject, n.Body, formatTime(n.CreatedAt), nullTime(n.SentAt))
	if err != nil {
		return fmt.Errorf("insert notification: %w", err)
	}
	return nil
}

// FindNotifications returns the notifications matching f, oldest first.
func (tx *Tx) FindNotifications(ctx context.Context, f store.NotificationFilter) ([]*mesh.Notification, error) {
	var where []string
	var args []any
	if f.RequestID != 0 {
		where, args = append(where, `request_id = ?`), append(args, f.RequestID)
	}
	if f.AccountID != "" {
		// while the account owns the request: its approvers see it
		where, args = append(where, `account_id = ? AND EXISTS (SELECT 1 FROM access_requests r
			WHERE r.id = approvals.request_id AND r.owner_account = approvals.account_id)`), append(args, f.AccountID)
	}
	if f.Unsent {
		where = append(where, `sent_at IS NULL`)
	}
	q := `SELECT id, account_id, recipient, event, request_id, subject, body, created_at, sent_at FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id LIMIT ?`
	rows, err := tx.tx.QueryContext(ctx, q, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find notifications: %w", err)
	}
	return collect(rows, "find notifications", func(sc rowScanner) (*mesh.Notification, error) {
		var n mesh.Notification
		var created string
		var sent sql.NullString
		if err := sc.Scan(&n.ID, &n.AccountID, &n.Recipient, &n.Event, &n.RequestID, &n.Subject, &n.Body, &created, &sent); err != nil {
			return nil, err
		}
		var err error
		if n.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		n.SentAt, err = parseNullTime(sent)
		return &n, err
	})
}

// nullKey stores an absent idempotency key as NULL, which the unique index skips.
func nullKey(k string) any {
	if k == "" {
		return nil
	}
	return k
}

// SetRequestsOwner makes owner the owning account of the databases'
// requests owned by from, found through the index of from's requests, read
// once for all of them; the databases travel as one JSON array.
func (tx *Tx) SetRequestsOwner(ctx context.Context, databases []string, from, owner string) error {
	if len(databases) == 0 {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE access_requests SET owner_account = ?
		WHERE owner_account = ? AND database_name IN (SELECT value FROM json_each(?))`,
		owner, from, marshalJSON(databases)); err != nil {
		return fmt.Errorf("set the owner of %s's requests: %w", strings.Join(databases, ", "), err)
	}
	return nil
}
