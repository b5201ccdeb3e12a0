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

const requestColumns = `id, requester_account, requester_user, target_account, database_name, table_name, owner_account,
	permissions, justification, duration_seconds, expires_at, status, error, cause, pii_columns, decided_by, decided_at,
	decision_comment, decision_channel, approved, ended_by, grant_id, share_id, execution_id, state_machine,
	state_machine_version, created_at, updated_at, idempotency_key`

// InsertAccessRequest stores r unless an open request for the same target and
// resource exists. The conflict is not left to raise an error: that would
// abort the whole transaction, which other starts share. A target account
// the transaction has not read yet is read by the insert itself, in the same
// round trip.
func (tx *Tx) InsertAccessRequest(ctx context.Context, r *mesh.AccessRequest) (bool, error) {
	args := []any{r.RequesterAccount, r.RequesterUser, r.TargetAccount, r.Database, r.Table, r.OwnerAccount, int64(r.Permissions),
		r.Justification, int64(time.Duration(r.Duration) / time.Second), optTime(r.ExpiresAt), r.Status, r.Error, r.Cause,
		strings.Join(r.PIIColumns, ","), r.ExecutionID, r.StateMachine, r.StateMachineVersion,
		r.CreatedAt.UTC(), r.UpdatedAt.UTC(), nullKey(r.IdempotencyKey)}
	var id *int64
	if _, known := tx.Memo().Account(r.TargetAccount); known {
		err := tx.tx.queryRowRequestWrite(ctx, insertRequestSQL, args...).Scan(&id)
		if err != nil && !isNoRows(err) {
			return false, fmt.Errorf("insert access request: %w", err)
		}
	} else {
		// the account is read in the same statement, and memoized
		var a mesh.Account
		err := tx.tx.queryRowRequestWrite(ctx, insertRequestReadingAccountSQL, args...).Scan(
			&a.ID, &a.Name, &a.Organization, &a.Email, &a.CreatedAt, &a.UpdatedAt, &id)
		if isNoRows(err) {
			return false, mesh.NotFound("account", r.TargetAccount)
		}
		if err != nil {
			return false, fmt.Errorf("insert access request: %w", err)
		}
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		tx.Memo().PutAccount(&a)
	}
	if id == nil {
		return false, nil
	}
	r.ID = *id
	tx.Memo().PutRequest(store.StoredRequest(r, store.TimePrecision("postgres")))
	tx.SetLocal(insertedRequest(r.ID), true)
	return true, nil
}

const requestInsertColumns = `(requester_account, requester_user, target_account, database_name, table_name, owner_account, permissions,
	justification, duration_seconds, expires_at, status, error, cause, pii_columns, execution_id, state_machine,
	state_machine_version, created_at, updated_at, idempotency_key)`

// insertRequestSQL inserts a request whose target account the transaction
// has read already: no row when the insert stored nothing.
const insertRequestSQL = `INSERT INTO access_requests ` + requestInsertColumns + `
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
	ON CONFLICT DO NOTHING RETURNING id`

// insertRequestReadingAccountSQL reads the target account ($3) and inserts
// the request only when the account exists: no row when it does not, else
// the account and the request's id (NULL when the insert stored nothing).
const insertRequestReadingAccountSQL = `WITH a AS (SELECT ` + accountColumns + ` FROM accounts WHERE id = $3),
	ins AS (INSERT INTO access_requests ` + requestInsertColumns + `
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::integer, $8::text, $9::integer,
			$10::timestamptz, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text, $17::integer,
			$18::timestamptz, $19::timestamptz, $20::text
		FROM a ON CONFLICT DO NOTHING RETURNING id)
	SELECT a.*, (SELECT id FROM ins) FROM a`

// insertedRequest keys the Local that marks a request this transaction
// inserted (and no savepoint's rollback has undone).
type insertedRequest int64

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func scanRequest(row pgx.Row) (*mesh.AccessRequest, error) {
	var r mesh.AccessRequest
	var perms, dur int64
	var expires, decidedAt *time.Time
	var pii, decidedBy, comment, channel string
	var approved bool
	var key *string
	if err := row.Scan(&r.ID, &r.RequesterAccount, &r.RequesterUser, &r.TargetAccount, &r.Database, &r.Table, &r.OwnerAccount,
		&perms, &r.Justification, &dur, &expires, &r.Status, &r.Error, &r.Cause, &pii, &decidedBy, &decidedAt,
		&comment, &channel, &approved, &r.EndedBy, &r.GrantID, &r.ShareID, &r.ExecutionID, &r.StateMachine,
		&r.StateMachineVersion, &r.CreatedAt, &r.UpdatedAt, &key); err != nil {
		return nil, err
	}
	r.Permissions, r.Duration, r.PIIColumns = mesh.Permissions(perms), mesh.Duration(time.Duration(dur)*time.Second), splitList(pii)
	if key != nil {
		r.IdempotencyKey = *key
	}
	r.ExpiresAt, r.CreatedAt, r.UpdatedAt = timeOf(expires), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if decidedBy != "" {
		r.Decision = &mesh.RequestDecision{By: decidedBy, At: timeOf(decidedAt), Comment: comment, Channel: channel, Approved: approved}
	}
	return &r, nil
}

func (tx *Tx) findRequest(ctx context.Context, key, where string, args ...any) (*mesh.AccessRequest, error) {
	r, err := scanRequest(tx.tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM access_requests WHERE `+where, args...))
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
	return tx.findRequest(ctx, fmt.Sprint(id), `id = $1`, id)
}

// FindOpenAccessRequest returns the open request for a target and resource; ENOTFOUND.
func (tx *Tx) FindOpenAccessRequest(ctx context.Context, target, database, table string) (*mesh.AccessRequest, error) {
	return tx.findRequest(ctx, target+" "+database+"."+table, `target_account = $1 AND database_name = $2 AND table_name = $3
		AND status IN ('SUBMITTED', 'PENDING_APPROVAL')`, target, database, table)
}

// FindAccessRequestByKey returns the request a user made with an idempotency key; ENOTFOUND.
func (tx *Tx) FindAccessRequestByKey(ctx context.Context, account, user, key string) (*mesh.AccessRequest, error) {
	return tx.findRequest(ctx, "with Idempotency-Key "+key, `requester_account = $1 AND requester_user = $2 AND idempotency_key = $3`,
		account, user, key)
}

// FindAccessRequestByExecution returns the request an execution runs; ENOTFOUND.
func (tx *Tx) FindAccessRequestByExecution(ctx context.Context, executionID string) (*mesh.AccessRequest, error) {
	if r, ok := tx.Memo().RequestByExecution(executionID); ok {
		return r, nil
	}
	return tx.findRequest(ctx, "of execution "+executionID, `execution_id = $1`, executionID)
}

// FindAccessRequests returns the requests matching f, newest first.
func (tx *Tx) FindAccessRequests(ctx context.Context, f store.RequestFilter) ([]*mesh.AccessRequest, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	var where, alt []string
	if f.VisibleRequester != "" {
		acct, user, _ := strings.Cut(f.VisibleRequester, "/")
		alt = append(alt, `(requester_account = `+arg(acct)+` AND requester_user = `+arg(user)+`)`)
	}
	if f.VisibleOwner != "" {
		alt = append(alt, `owner_account = `+arg(f.VisibleOwner))
	}
	if f.VisibleAccount != "" {
		alt = append(alt, `requester_account = `+arg(f.VisibleAccount), `target_account = `+arg(f.VisibleAccount))
	}
	if len(alt) > 0 {
		where = append(where, "("+strings.Join(alt, " OR ")+")")
	}
	if f.Requester != "" {
		acct, user, _ := strings.Cut(f.Requester, "/")
		where = append(where, `requester_account = `+arg(acct)+` AND requester_user = `+arg(user))
	}
	if f.Status != "" {
		where = append(where, `status = `+arg(f.Status))
	}
	if f.Open {
		where = append(where, `status IN ('SUBMITTED', 'PENDING_APPROVAL')`) // as the index access_requests_open
	}
	if f.Database != "" {
		where = append(where, `database_name = `+arg(f.Database))
		if f.Table != "" {
			where = append(where, `table_name = `+arg(f.Table))
		}
	}
	if len(f.Databases) > 0 {
		where = append(where, `database_name = ANY(`+arg(f.Databases)+`)`)
	}
	if f.GrantID != 0 {
		where = append(where, `grant_id = `+arg(f.GrantID))
	}
	if !f.ExpiresBefore.IsZero() {
		where = append(where, `expires_at IS NOT NULL AND expires_at <= `+arg(f.ExpiresBefore.UTC()))
	}
	if f.BeforeID > 0 {
		where = append(where, `id < `+arg(f.BeforeID))
	}
	q := `SELECT ` + requestColumns + ` FROM access_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find access requests: %w", err)
	}
	defer rows.Close()
	var out []*mesh.AccessRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("find access requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateAccessRequest saves r when its stored status is from.
func (tx *Tx) UpdateAccessRequest(ctx context.Context, r *mesh.AccessRequest, from string) error {
	before, known := tx.Memo().Request(r.ID)
	d := r.Decision
	if d == nil {
		d = &mesh.RequestDecision{}
	}
	const q = `UPDATE access_requests SET status = $1, error = $2, cause = $3, pii_columns = $4,
		decided_by = $5, decided_at = $6, decision_comment = $7, decision_channel = $8, approved = $9, ended_by = $10,
		grant_id = $11, share_id = $12, expires_at = $13, updated_at = $14
		WHERE id = $15 AND status = $16`
	args := []any{r.Status, r.Error, r.Cause, strings.Join(r.PIIColumns, ","), d.By, optTime(d.At), d.Comment, d.Channel, d.Approved,
		r.EndedBy, r.GrantID, r.ShareID, optTime(r.ExpiresAt), r.UpdatedAt.UTC(), r.ID, from}
	if known && before.Status == from && before.Open() && tx.Local(insertedRequest(r.ID)) != nil {
		// This transaction inserted the request, and the memo holds what
		// it wrote since: no other transaction sees the row, so the status
		// is from; and leaving an open status, the row cannot collide in
		// the index of open requests. Nothing can refuse the update, which
		// goes with the next statement.
		tx.tx.deferRequestWrite(q, args...)
		tx.Memo().PutRequestUpdate(before, store.StoredRequest(r, store.TimePrecision("postgres")))
		return nil
	}
	tag, err := tx.tx.execRequestWrite(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update access request %d: %w", r.ID, err)
	}
	if tag.RowsAffected() == 1 {
		tx.Memo().PutRequestUpdate(before, store.StoredRequest(r, store.TimePrecision("postgres")))
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
	_, err := tx.tx.Exec(ctx, `INSERT INTO approvals (`+approvalColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (request_id) DO UPDATE SET account_id = excluded.account_id, status = excluded.status,
			pii_columns = excluded.pii_columns, token_hash = excluded.token_hash, decided_by = excluded.decided_by,
			decided_at = excluded.decided_at, decision_comment = excluded.decision_comment,
			decision_channel = excluded.decision_channel, approved = excluded.approved,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		a.RequestID, a.AccountID, a.Status, strings.Join(a.PIIColumns, ","), a.TokenHash, d.By, optTime(d.At), d.Comment,
		d.Channel, d.Approved, a.CreatedAt.UTC(), optTime(a.ExpiresAt))
	if err != nil {
		return fmt.Errorf("upsert approval %d: %w", a.RequestID, err)
	}
	return nil
}

func scanApproval(row pgx.Row) (*mesh.Approval, error) {
	var a mesh.Approval
	var pii, decidedBy, comment, channel string
	var decidedAt, expires *time.Time
	var approved bool
	if err := row.Scan(&a.RequestID, &a.AccountID, &a.Status, &pii, &a.TokenHash, &decidedBy, &decidedAt, &comment,
		&channel, &approved, &a.CreatedAt, &expires); err != nil {
		return nil, err
	}
	a.PIIColumns, a.CreatedAt, a.ExpiresAt = splitList(pii), a.CreatedAt.UTC(), timeOf(expires)
	if decidedBy != "" {
		a.Decision = &mesh.RequestDecision{By: decidedBy, At: timeOf(decidedAt), Comment: comment, Channel: channel, Approved: approved}
	}
	return &a, nil
}

// FindApproval returns a request's approval; ENOTFOUND.
func (tx *Tx) FindApproval(ctx context.Context, requestID int64) (*mesh.Approval, error) {
	a, err := scanApproval(tx.tx.QueryRow(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE request_id = $1`, requestID))
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
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	var where []string
	if f.AccountID != "" {
		// while the account owns the request: its approvers see it
		where = append(where, `account_id = `+arg(f.AccountID)+` AND EXISTS (SELECT 1 FROM access_requests r
			WHERE r.id = approvals.request_id AND r.owner_account = approvals.account_id)`)
	}
	if f.Status != "" {
		where = append(where, `status = `+arg(f.Status))
	}
	if f.BeforeID > 0 {
		where = append(where, `request_id < `+arg(f.BeforeID))
	}
	q := `SELECT ` + approvalColumns + ` FROM approvals`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY request_id DESC LIMIT ` + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find approvals: %w", err)
	}
	defer rows.Close()
	var out []*mesh.Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, fmt.Errorf("find approvals: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateApproval saves a's status and decision when its stored status is from.
func (tx *Tx) UpdateApproval(ctx context.Context, a *mesh.Approval, from string) error {
	d := a.Decision
	if d == nil {
		d = &mesh.RequestDecision{}
	}
	tag, err := tx.tx.Exec(ctx, `UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3,
		decision_comment = $4, decision_channel = $5, approved = $6 WHERE request_id = $7 AND status = $8`,
		a.Status, d.By, optTime(d.At), d.Comment, d.Channel, d.Approved, a.RequestID, from)
	if err != nil {
		return fmt.Errorf("update approval %d: %w", a.RequestID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	cur, err := tx.FindApproval(ctx, a.RequestID)
	if err != nil {
		return err
	}
	return store.ApprovalConflict(cur)
}

// InsertNotification records n. The insert goes with the transaction's
// next statement (pgTx.deferWrite): no constraint can refuse it.
func (tx *Tx) InsertNotification(ctx context.Context, n *mesh.Notification) error {
	tx.tx.deferWrite(`INSERT INTO notifications (account_id, recipient, event, request_id, subject, body, created_at, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		n.AccountID, n.Recipient, n.Event, n.RequestID, n.Subject, n.Body, n.CreatedAt.UTC(), optTime(n.SentAt))
	return nil
}

// FindNotifications returns the notifications matching f, oldest first.
func (tx *Tx) FindNotifications(ctx context.Context, f store.NotificationFilter) ([]*mesh.Notification, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	var where []string
	if f.RequestID != 0 {
		where = append(where, `request_id = `+arg(f.RequestID))
	}
	if f.AccountID != "" {
		// while the account owns the request: its approvers see it
		where = append(where, `account_id = `+arg(f.AccountID)+` AND EXISTS (SELECT 1 FROM access_requests r
			WHERE r.id = approvals.request_id AND r.owner_account = approvals.account_id)`)
	}
	if f.Unsent {
		where = append(where, `sent_at IS NULL`)
	}
	q := `SELECT id, account_id, recipient, event, request_id, subject, body, created_at, sent_at FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id LIMIT ` + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find notifications: %w", err)
	}
	defer rows.Close()
	var out []*mesh.Notification
	for rows.Next() {
		var n mesh.Notification
		var sent *time.Time
		if err := rows.Scan(&n.ID, &n.AccountID, &n.Recipient, &n.Event, &n.RequestID, &n.Subject, &n.Body, &n.CreatedAt, &sent); err != nil {
			return nil, fmt.Errorf("find notifications: %w", err)
		}
		n.CreatedAt, n.SentAt = n.CreatedAt.UTC(), timeOf(sent)
		out = append(out, &n)
	}
	return out, rows.Err()
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
// once for all of them.
func (tx *Tx) SetRequestsOwner(ctx context.Context, databases []string, from, owner string) error {
	if len(databases) == 0 {
		return nil
	}
	if _, err := tx.tx.Exec(ctx, `UPDATE access_requests SET owner_account = $1 WHERE owner_account = $2 AND database_name = ANY($3)`,
		owner, from, databases); err != nil {
		return fmt.Errorf("set the owner of %s's requests: %w", strings.Join(databases, ", "), err)
	}
	return nil
}
