package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const topicColumns = `id, account_id, name, created_at, deleted_at`

func scanTopic(r rowScanner) (*store.Topic, error) {
	var t store.Topic
	var created string
	var deleted sql.NullString
	if err := r.Scan(&t.ID, &t.AccountID, &t.Name, &created, &deleted); err != nil {
		return nil, err
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	t.DeletedAt, err = parseNullTime(deleted)
	return &t, err
}

// CreateTopic inserts t; ECONFLICT when the account has a live topic.
func (tx *Tx) CreateTopic(ctx context.Context, t *store.Topic) error {
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO notify_topics (account_id, name, created_at) VALUES (?, ?, ?) RETURNING id`,
		t.AccountID, t.Name, formatTime(t.CreatedAt)).Scan(&t.ID)
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %s has a topic already", t.AccountID)
	}
	if err != nil {
		return fmt.Errorf("insert topic: %w", err)
	}
	return nil
}

// FindTopicByAccount returns the account's live topic, or ENOTFOUND.
func (tx *Tx) FindTopicByAccount(ctx context.Context, accountID string) (*store.Topic, error) {
	t, err := scanTopic(tx.tx.QueryRowContext(ctx, `SELECT `+topicColumns+` FROM notify_topics WHERE account_id = ? AND deleted_at IS NULL`, accountID))
	if isNoRows(err) {
		return nil, mesh.NotFound("topic of account", accountID)
	}
	if err != nil {
		return nil, fmt.Errorf("find topic: %w", err)
	}
	return t, nil
}

// FindTopics lists live topics by account.
func (tx *Tx) FindTopics(ctx context.Context, accountID string) ([]*store.Topic, error) {
	q, args := `SELECT `+topicColumns+` FROM notify_topics WHERE deleted_at IS NULL`, []any{}
	if accountID != "" {
		q, args = q+` AND account_id = ?`, append(args, accountID)
	}
	rows, err := tx.tx.QueryContext(ctx, q+` ORDER BY account_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find topics: %w", err)
	}
	return collect(rows, "scan topic", scanTopic)
}

// MarkTopicDeleted marks the account's live topic deleted.
func (tx *Tx) MarkTopicDeleted(ctx context.Context, accountID string, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE notify_topics SET deleted_at = ? WHERE account_id = ? AND deleted_at IS NULL`, formatTime(at), accountID); err != nil {
		return fmt.Errorf("delete topic: %w", err)
	}
	return nil
}

// PurgeDeletedTopics removes deleted topics with nothing left to deliver.
func (tx *Tx) PurgeDeletedTopics(ctx context.Context) (int, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id FROM notify_topics t WHERE deleted_at IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM notify_deliveries d JOIN notify_subscriptions s ON s.id = d.subscription_id
		WHERE s.topic_id = t.id AND d.status = 'pending')`)
	if err != nil {
		return 0, fmt.Errorf("find deleted topics: %w", err)
	}
	ids, err := collect(rows, "scan topic id", func(r rowScanner) (int64, error) { var id int64; return id, r.Scan(&id) })
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM notify_subscriptions WHERE topic_id = ?`, id); err != nil {
			return 0, fmt.Errorf("purge subscriptions: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM notify_topics WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("purge topic: %w", err)
		}
	}
	return len(ids), nil
}

const subscriptionColumns = `s.id, s.topic_id, s.account_id, s.protocol, s.endpoint, s.status, s.slack, s.token_hash, s.token_expires, s.secret, s.created_by, s.created_at, s.confirmed_at`

func scanSubscription(r rowScanner) (*store.Subscription, error) {
	var s store.Subscription
	var hash, expires, confirmed sql.NullString
	var created string
	if err := r.Scan(&s.ID, &s.TopicID, &s.AccountID, &s.Protocol, &s.Endpoint, &s.Status, &s.Slack, &hash, &expires, &s.Secret, &s.CreatedBy, &created, &confirmed); err != nil {
		return nil, err
	}
	s.TokenHash = hash.String
	var err error
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if s.TokenExpires, err = parseNullTime(expires); err != nil {
		return nil, err
	}
	s.ConfirmedAt, err = parseNullTime(confirmed)
	return &s, err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateSubscription inserts s.
func (tx *Tx) CreateSubscription(ctx context.Context, s *store.Subscription) error {
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO notify_subscriptions (topic_id, account_id, protocol, endpoint, status, slack, token_hash, token_expires, secret, created_by, created_at, confirmed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.TopicID, s.AccountID, s.Protocol, s.Endpoint, s.Status, s.Slack, nullString(s.TokenHash), nullTime(s.TokenExpires),
		s.Secret, s.CreatedBy, formatTime(s.CreatedAt), nullTime(s.ConfirmedAt)).Scan(&s.ID)
	if isUniqueViolation(err) {
		return mesh.Errorf(mesh.ECONFLICT, "%s %s is subscribed already", s.Protocol, store.EndpointName(s.Protocol, s.Endpoint))
	}
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

// FindSubscription returns a subscription by id, or ENOTFOUND.
func (tx *Tx) FindSubscription(ctx context.Context, id int64) (*store.Subscription, error) {
	s, err := scanSubscription(tx.tx.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s WHERE s.id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("subscription", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("find subscription: %w", err)
	}
	return s, nil
}

// FindSubscriptionByToken returns the subscription with this token hash, or ENOTFOUND.
func (tx *Tx) FindSubscriptionByToken(ctx context.Context, hash string) (*store.Subscription, error) {
	s, err := scanSubscription(tx.tx.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s WHERE s.token_hash = ?`, hash))
	if isNoRows(err) {
		return nil, mesh.Errorf(mesh.ENOTFOUND, "no subscription waits for this confirmation token")
	}
	if err != nil {
		return nil, fmt.Errorf("find subscription by token: %w", err)
	}
	return s, nil
}

// FindSubscriptions lists the live topics' subscriptions that are not unsubscribed.
func (tx *Tx) FindSubscriptions(ctx context.Context, accountID, status string) ([]*store.Subscription, error) {
	if accountID != "" {
		if subs, ok := tx.Memo().Subscriptions(accountID, status); ok {
			return subs, nil
		}
	}
	where := []string{"t.deleted_at IS NULL", "s.status <> 'unsubscribed'"}
	var args []any
	if accountID != "" {
		where, args = append(where, "t.account_id = ?"), append(args, accountID)
	}
	if status != "" {
		where, args = append(where, "s.status = ?"), append(args, status)
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s JOIN notify_topics t ON t.id = s.topic_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find subscriptions: %w", err)
	}
	out, err := collect(rows, "scan subscription", scanSubscription)
	if err == nil && accountID != "" {
		tx.Memo().PutSubscriptions(accountID, status, out)
	}
	return out, err
}

// UpdateSubscriptionStatus sets a subscription's status.
func (tx *Tx) UpdateSubscriptionStatus(ctx context.Context, id int64, status string, at time.Time) error {
	q := `UPDATE notify_subscriptions SET status = ? WHERE id = ?`
	args := []any{status, id}
	if status == store.SubscriptionConfirmed {
		q = `UPDATE notify_subscriptions SET status = ?, confirmed_at = ? WHERE id = ?`
		args = []any{status, formatTime(at), id}
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mesh.NotFound("subscription", strconv.FormatInt(id, 10))
	}
	return nil
}

// deliveryDedupe is what makes a delivery unique with its message id.
func deliveryDedupe(d *store.Delivery) string {
	if d.SubscriptionID != 0 {
		return "s:" + strconv.FormatInt(d.SubscriptionID, 10)
	}
	return "e:" + d.Protocol + ":" + d.Endpoint
}

// InsertDeliveries queues deliveries, leaving out those queued already.
func (tx *Tx) InsertDeliveries(ctx context.Context, ds []*store.Delivery) error {
	for _, d := range ds {
		err := tx.tx.QueryRowContext(ctx, `INSERT INTO notify_deliveries (message_id, subscription_id, dedupe, kind, protocol, endpoint, subject, payload, attempts, next_attempt, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (message_id, dedupe) DO NOTHING RETURNING id`,
			d.MessageID, d.SubscriptionID, deliveryDedupe(d), d.Kind, d.Protocol, d.Endpoint, d.Subject, d.Payload,
			formatTime(d.NextAttempt), store.DeliveryPending, formatTime(d.CreatedAt)).Scan(&d.ID)
		if isNoRows(err) {
			d.ID = 0
			continue
		}
		if err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		d.Status = store.DeliveryPending
	}
	return nil
}

const deliveryColumns = `id, message_id, subscription_id, kind, protocol, endpoint, subject, payload, attempts, next_attempt, status, last_error, lease_owner, lease_until, created_at, sent_at`

func scanDelivery(r rowScanner) (*store.Delivery, error) {
	var d store.Delivery
	var next, created string
	var lease, sent sql.NullString
	if err := r.Scan(&d.ID, &d.MessageID, &d.SubscriptionID, &d.Kind, &d.Protocol, &d.Endpoint, &d.Subject, &d.Payload, &d.Attempts,
		&next, &d.Status, &d.LastError, &d.LeaseOwner, &lease, &created, &sent); err != nil {
		return nil, err
	}
	var err error
	if d.NextAttempt, err = parseTime(next); err != nil {
		return nil, err
	}
	if d.LeaseUntil, err = parseNullTime(lease); err != nil {
		return nil, err
	}
	if d.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	d.SentAt, err = parseNullTime(sent)
	return &d, err
}

// ClaimDeliveries leases due pending deliveries to owner.
func (tx *Tx) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, skip []string) ([]*store.Delivery, error) {
	args := []any{owner, formatTime(leaseUntil), formatTime(now), formatTime(now)}
	q := `UPDATE notify_deliveries SET lease_owner = ?, lease_until = ?
		WHERE id IN (SELECT id FROM notify_deliveries WHERE status = 'pending' AND next_attempt <= ? AND (lease_until IS NULL OR lease_until <= ?)`
	if len(skip) > 0 {
		q += ` AND endpoint NOT IN (?` + strings.Repeat(", ?", len(skip)-1) + `)`
		for _, e := range skip {
			args = append(args, e)
		}
	}
	rows, err := tx.tx.QueryContext(ctx, q+` ORDER BY next_attempt, id LIMIT ?) RETURNING `+deliveryColumns, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return collect(rows, "claim deliveries", scanDelivery)
}

// FinishDeliveries records the results of owner's leased deliveries.
func (tx *Tx) FinishDeliveries(ctx context.Context, owner string, rs []store.DeliveryResult) ([]int64, error) {
	var done []int64
	for _, r := range rs {
		// a sent payload may hold secrets (a confirmation's raw token,
		// approval links) and is never sent again: it is not kept
		res, err := tx.tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = ?, attempts = attempts + 1, next_attempt = ?, last_error = ?,
			lease_owner = '', lease_until = NULL, sent_at = ?, finished_at = ?,
			payload = CASE WHEN ? = 'sent' THEN x'' ELSE payload END
			WHERE id = ? AND status = 'pending' AND lease_owner = ?`,
			r.Status, formatTime(r.NextAttempt), r.Error, sentAt(r), finishedAt(r), r.Status, r.ID, owner)
		if err != nil {
			return nil, fmt.Errorf("finish delivery %d: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if r.Mailbox != nil {
			if err := tx.InsertMailbox(ctx, r.Mailbox); err != nil {
				return nil, err
			}
		}
		done = append(done, r.ID)
	}
	return done, nil
}

func sentAt(r store.DeliveryResult) any {
	if r.Status == store.DeliverySent {
		return formatTime(r.At)
	}
	return nil
}

func finishedAt(r store.DeliveryResult) any {
	if r.Status != store.DeliveryPending {
		return formatTime(r.At)
	}
	return nil
}

// ReleaseDeliveryLeases frees every delivery lease.
func (tx *Tx) ReleaseDeliveryLeases(ctx context.Context) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE notify_deliveries SET lease_owner = '', lease_until = NULL WHERE status = 'pending' AND lease_until IS NOT NULL`); err != nil {
		return fmt.Errorf("release delivery leases: %w", err)
	}
	return nil
}

// FindDelivery returns a delivery, or ENOTFOUND.
func (tx *Tx) FindDelivery(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDelivery(tx.tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("delivery", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	return d, nil
}

// FindDeliveries lists deliveries newest first.
func (tx *Tx) FindDeliveries(ctx context.Context, f store.DeliveryFilter) ([]*store.Delivery, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.AccountID != "" {
		where, args = append(where, "subscription_id IN (SELECT id FROM notify_subscriptions WHERE account_id = ?)"), append(args, f.AccountID)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT ` + deliveryColumns + ` FROM notify_deliveries`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := tx.tx.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	return collect(rows, "scan delivery", scanDelivery)
}

// CountDeliveries counts up to limit deliveries in status, through the
// index of status and id.
func (tx *Tx) CountDeliveries(ctx context.Context, status string, limit int) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM notify_deliveries WHERE status = ? LIMIT ?)`, status, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}

// RetryDelivery puts a failed delivery back to pending.
func (tx *Tx) RetryDelivery(ctx context.Context, id int64, now time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = 'pending', next_attempt = ?, attempts = 0, lease_owner = '', lease_until = NULL,
		finished_at = NULL WHERE id = ? AND status = 'failed'`, formatTime(now), id)
	if err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		d, err := tx.FindDelivery(ctx, id)
		if err != nil {
			return err
		}
		return mesh.Errorf(mesh.ECONFLICT, "delivery %d is %s, not failed", id, d.Status)
	}
	return nil
}

// PruneDeliveries deletes at most limit deliveries finished before before.
func (tx *Tx) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM notify_deliveries WHERE id IN (SELECT id FROM notify_deliveries
		WHERE finished_at < ? AND status <> 'pending' ORDER BY finished_at, id LIMIT ?)`, formatTime(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

const mailboxColumns = `id, message_id, recipient, subject, text_body, html_body, created_at`

func scanMailbox(r rowScanner) (*store.MailboxMessage, error) {
	var m store.MailboxMessage
	var created string
	if err := r.Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Text, &m.HTML, &created); err != nil {
		return nil, err
	}
	var err error
	m.CreatedAt, err = parseTime(created)
	return &m, err
}

// InsertMailbox stores m.
func (tx *Tx) InsertMailbox(ctx context.Context, m *store.MailboxMessage) error {
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO notify_mailbox (message_id, recipient, subject, text_body, html_body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.MessageID, m.To, m.Subject, m.Text, m.HTML, formatTime(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert mailbox message: %w", err)
	}
	return nil
}

// FindMailbox lists mailbox messages newest first.
func (tx *Tx) FindMailbox(ctx context.Context, beforeID int64, limit int) ([]*store.MailboxMessage, error) {
	q, args := `SELECT `+mailboxColumns+` FROM notify_mailbox`, []any{}
	if beforeID > 0 {
		q, args = q+` WHERE id < ?`, append(args, beforeID)
	}
	rows, err := tx.tx.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, store.ListLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("find mailbox: %w", err)
	}
	return collect(rows, "scan mailbox message", scanMailbox)
}

// FindMailboxMessage returns one mailbox message, or ENOTFOUND.
func (tx *Tx) FindMailboxMessage(ctx context.Context, id int64) (*store.MailboxMessage, error) {
	m, err := scanMailbox(tx.tx.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM notify_mailbox WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("mailbox message", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("find mailbox message: %w", err)
	}
	return m, nil
}

// PruneMailbox deletes at most limit mailbox messages stored before before.
func (tx *Tx) PruneMailbox(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM notify_mailbox WHERE id IN (SELECT id FROM notify_mailbox
		WHERE created_at < ? ORDER BY created_at, id LIMIT ?)`, formatTime(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune mailbox: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// OptOut records that address wants no more direct mail.
func (tx *Tx) OptOut(ctx context.Context, address string, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO notify_optouts (address, created_at) VALUES (?, ?) ON CONFLICT (address) DO NOTHING`,
		strings.ToLower(address), formatTime(at)); err != nil {
		return fmt.Errorf("opt out: %w", err)
	}
	return nil
}

// IsOptedOut reports whether address opted out of direct mail.
func (tx *Tx) IsOptedOut(ctx context.Context, address string) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM notify_optouts WHERE address = ?`, strings.ToLower(address)).Scan(&n); err != nil {
		return false, fmt.Errorf("read opt-out: %w", err)
	}
	return n > 0, nil
}
