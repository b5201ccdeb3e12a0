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

const topicColumns = `id, account_id, name, created_at, deleted_at`

// fromNull reads a nullable timestamp: NULL is the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func scanTopic(r pgx.Row) (*store.Topic, error) {
	var t store.Topic
	var deleted *time.Time
	if err := r.Scan(&t.ID, &t.AccountID, &t.Name, &t.CreatedAt, &deleted); err != nil {
		return nil, err
	}
	t.CreatedAt, t.DeletedAt = t.CreatedAt.UTC(), fromNull(deleted)
	return &t, nil
}

// CreateTopic inserts t; ECONFLICT when the account has a live topic.
func (tx *Tx) CreateTopic(ctx context.Context, t *store.Topic) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO notify_topics (account_id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) WHERE deleted_at IS NULL DO NOTHING RETURNING id`,
		t.AccountID, t.Name, t.CreatedAt.UTC()).Scan(&t.ID)
	if isNoRows(err) {
		return mesh.Errorf(mesh.ECONFLICT, "account %s has a topic already", t.AccountID)
	}
	if err != nil {
		return fmt.Errorf("insert topic: %w", err)
	}
	return nil
}

// FindTopicByAccount returns the account's live topic, or ENOTFOUND.
func (tx *Tx) FindTopicByAccount(ctx context.Context, accountID string) (*store.Topic, error) {
	t, err := scanTopic(tx.tx.QueryRow(ctx, `SELECT `+topicColumns+` FROM notify_topics WHERE account_id = $1 AND deleted_at IS NULL`, accountID))
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
		q, args = q+` AND account_id = $1`, append(args, accountID)
	}
	rows, err := tx.tx.Query(ctx, q+` ORDER BY account_id COLLATE "C"`, args...)
	if err != nil {
		return nil, fmt.Errorf("find topics: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Topic, error) { return scanTopic(r) })
	if err != nil {
		return nil, fmt.Errorf("find topics: %w", err)
	}
	return out, nil
}

// MarkTopicDeleted marks the account's live topic deleted.
func (tx *Tx) MarkTopicDeleted(ctx context.Context, accountID string, at time.Time) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE notify_topics SET deleted_at = $1 WHERE account_id = $2 AND deleted_at IS NULL`, at.UTC(), accountID); err != nil {
		return fmt.Errorf("delete topic: %w", err)
	}
	return nil
}

// PurgeDeletedTopics removes deleted topics with nothing left to deliver.
func (tx *Tx) PurgeDeletedTopics(ctx context.Context) (int, error) {
	rows, err := tx.tx.Query(ctx, `DELETE FROM notify_topics t WHERE deleted_at IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM notify_deliveries d JOIN notify_subscriptions s ON s.id = d.subscription_id
		WHERE s.topic_id = t.id AND d.status = 'pending') RETURNING id`)
	if err != nil {
		return 0, fmt.Errorf("purge deleted topics: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("purge deleted topics: %w", err)
	}
	// subscriptions go with their topic (ON DELETE CASCADE)
	return len(ids), nil
}

const subscriptionColumns = `s.id, s.topic_id, s.account_id, s.protocol, s.endpoint, s.status, s.slack, s.token_hash, s.token_expires, s.secret, s.created_by, s.created_at, s.confirmed_at`

func scanSubscription(r pgx.Row) (*store.Subscription, error) {
	var s store.Subscription
	var hash *string
	var expires, confirmed *time.Time
	if err := r.Scan(&s.ID, &s.TopicID, &s.AccountID, &s.Protocol, &s.Endpoint, &s.Status, &s.Slack, &hash, &expires, &s.Secret, &s.CreatedBy, &s.CreatedAt, &confirmed); err != nil {
		return nil, err
	}
	if hash != nil {
		s.TokenHash = *hash
	}
	s.CreatedAt, s.TokenExpires, s.ConfirmedAt = s.CreatedAt.UTC(), fromNull(expires), fromNull(confirmed)
	return &s, nil
}

// CreateSubscription inserts s.
func (tx *Tx) CreateSubscription(ctx context.Context, s *store.Subscription) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO notify_subscriptions (topic_id, account_id, protocol, endpoint, status, slack, token_hash, token_expires, secret, created_by, created_at, confirmed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT DO NOTHING RETURNING id`,
		s.TopicID, s.AccountID, s.Protocol, s.Endpoint, s.Status, s.Slack, nullString(s.TokenHash), optTime(s.TokenExpires),
		s.Secret, s.CreatedBy, s.CreatedAt.UTC(), optTime(s.ConfirmedAt)).Scan(&s.ID)
	if isAccessUnique(err) {
		return mesh.Errorf(mesh.ECONFLICT, "%s %s is subscribed already", s.Protocol, store.EndpointName(s.Protocol, s.Endpoint))
	}
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

// FindSubscription returns a subscription by id, or ENOTFOUND.
func (tx *Tx) FindSubscription(ctx context.Context, id int64) (*store.Subscription, error) {
	s, err := scanSubscription(tx.tx.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s WHERE s.id = $1`, id))
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
	s, err := scanSubscription(tx.tx.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s WHERE s.token_hash = $1`, hash))
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
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if accountID != "" {
		where = append(where, "t.account_id = "+arg(accountID))
	}
	if status != "" {
		where = append(where, "s.status = "+arg(status))
	}
	rows, err := tx.tx.Query(ctx, `SELECT `+subscriptionColumns+` FROM notify_subscriptions s JOIN notify_topics t ON t.id = s.topic_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Subscription, error) { return scanSubscription(r) })
	if err != nil {
		return nil, fmt.Errorf("find subscriptions: %w", err)
	}
	if accountID != "" {
		tx.Memo().PutSubscriptions(accountID, status, out)
	}
	return out, nil
}

// UpdateSubscriptionStatus sets a subscription's status.
func (tx *Tx) UpdateSubscriptionStatus(ctx context.Context, id int64, status string, at time.Time) error {
	q := `UPDATE notify_subscriptions SET status = $1 WHERE id = $2`
	args := []any{status, id}
	if status == store.SubscriptionConfirmed {
		q = `UPDATE notify_subscriptions SET status = $1, confirmed_at = $3 WHERE id = $2`
		args = append(args, at.UTC())
	}
	tag, err := tx.tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update subscription: %w", err)
	}
	if tag.RowsAffected() == 0 {
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
		err := tx.tx.QueryRow(ctx, `INSERT INTO notify_deliveries (message_id, subscription_id, dedupe, kind, protocol, endpoint, subject, payload, attempts, next_attempt, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11) ON CONFLICT (message_id, dedupe) DO NOTHING RETURNING id`,
			d.MessageID, d.SubscriptionID, deliveryDedupe(d), d.Kind, d.Protocol, d.Endpoint, d.Subject, d.Payload,
			d.NextAttempt.UTC(), store.DeliveryPending, d.CreatedAt.UTC()).Scan(&d.ID)
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

func scanDelivery(r pgx.Row) (*store.Delivery, error) {
	var d store.Delivery
	var lease, sent *time.Time
	if err := r.Scan(&d.ID, &d.MessageID, &d.SubscriptionID, &d.Kind, &d.Protocol, &d.Endpoint, &d.Subject, &d.Payload, &d.Attempts,
		&d.NextAttempt, &d.Status, &d.LastError, &d.LeaseOwner, &lease, &d.CreatedAt, &sent); err != nil {
		return nil, err
	}
	d.NextAttempt, d.CreatedAt, d.LeaseUntil, d.SentAt = d.NextAttempt.UTC(), d.CreatedAt.UTC(), fromNull(lease), fromNull(sent)
	return &d, nil
}

func collectDeliveries(rows pgx.Rows, op string) ([]*store.Delivery, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// ClaimDeliveries leases due pending deliveries to owner, skipping rows other replicas are claiming.
func (tx *Tx) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, skip []string) ([]*store.Delivery, error) {
	if skip == nil {
		skip = []string{}
	}
	rows, err := tx.tx.Query(ctx, `UPDATE notify_deliveries SET lease_owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM notify_deliveries WHERE status = 'pending' AND next_attempt <= $3 AND (lease_until IS NULL OR lease_until <= $3)
		AND NOT (endpoint = ANY($5))
		ORDER BY next_attempt, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+deliveryColumns, owner, leaseUntil.UTC(), now.UTC(), limit, skip)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return collectDeliveries(rows, "claim deliveries")
}

// FinishDeliveries records the results of owner's leased deliveries.
func (tx *Tx) FinishDeliveries(ctx context.Context, owner string, rs []store.DeliveryResult) ([]int64, error) {
	var done []int64
	for _, r := range rs {
		var sent any
		if r.Status == store.DeliverySent {
			sent = r.At.UTC()
		}
		var finished any
		if r.Status != store.DeliveryPending {
			finished = r.At.UTC()
		}
		// a sent payload may hold secrets (a confirmation's raw token,
		// approval links) and is never sent again: it is not kept
		tag, err := tx.tx.Exec(ctx, `UPDATE notify_deliveries SET status = $1, attempts = attempts + 1, next_attempt = $2, last_error = $3,
			lease_owner = '', lease_until = NULL, sent_at = $4, finished_at = $7,
			payload = CASE WHEN $1 = 'sent' THEN ''::bytea ELSE payload END
			WHERE id = $5 AND status = 'pending' AND lease_owner = $6`,
			r.Status, r.NextAttempt.UTC(), r.Error, sent, r.ID, owner, finished)
		if err != nil {
			return nil, fmt.Errorf("finish delivery %d: %w", r.ID, err)
		}
		if tag.RowsAffected() == 0 {
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

// ReleaseDeliveryLeases frees every delivery lease.
func (tx *Tx) ReleaseDeliveryLeases(ctx context.Context) error {
	if _, err := tx.tx.Exec(ctx, `UPDATE notify_deliveries SET lease_owner = '', lease_until = NULL WHERE status = 'pending' AND lease_until IS NOT NULL`); err != nil {
		return fmt.Errorf("release delivery leases: %w", err)
	}
	return nil
}

// FindDelivery returns a delivery, or ENOTFOUND.
func (tx *Tx) FindDelivery(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDelivery(tx.tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries WHERE id = $1`, id))
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
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.AccountID != "" {
		where = append(where, "subscription_id IN (SELECT id FROM notify_subscriptions WHERE account_id = "+arg(f.AccountID)+")")
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + deliveryColumns + ` FROM notify_deliveries`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := tx.tx.Query(ctx, q+` ORDER BY id DESC LIMIT `+arg(store.ListLimit(f.Limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	return collectDeliveries(rows, "find deliveries")
}

// CountDeliveries counts up to limit deliveries in status, through the
// index of status and id.
func (tx *Tx) CountDeliveries(ctx context.Context, status string, limit int) (int, error) {
	var n int
	err := tx.tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM notify_deliveries WHERE status = $1 LIMIT $2) d`, status, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}

// RetryDelivery puts a failed delivery back to pending.
func (tx *Tx) RetryDelivery(ctx context.Context, id int64, now time.Time) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE notify_deliveries SET status = 'pending', next_attempt = $1, attempts = 0, lease_owner = '', lease_until = NULL,
		finished_at = NULL WHERE id = $2 AND status = 'failed'`, now.UTC(), id)
	if err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	if tag.RowsAffected() == 0 {
		d, err := tx.FindDelivery(ctx, id)
		if err != nil {
			return err
		}
		return mesh.Errorf(mesh.ECONFLICT, "delivery %d is %s, not failed", id, d.Status)
	}
	return nil
}

// PruneDeliveries deletes at most limit deliveries finished before before.
// Rows another transaction holds (another replica pruning them, an admin
// retrying one) are skipped; the outer conditions are checked again on the
// row as it is when deleted, so a delivery retried meanwhile stays.
func (tx *Tx) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM notify_deliveries WHERE id IN (SELECT id FROM notify_deliveries
		WHERE finished_at < $1 AND status <> 'pending' ORDER BY finished_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		AND finished_at < $1 AND status <> 'pending'`, before.UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

const mailboxColumns = `id, message_id, recipient, subject, text_body, html_body, created_at`

func scanMailbox(r pgx.Row) (*store.MailboxMessage, error) {
	var m store.MailboxMessage
	if err := r.Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.CreatedAt); err != nil {
		return nil, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

// InsertMailbox stores m.
func (tx *Tx) InsertMailbox(ctx context.Context, m *store.MailboxMessage) error {
	err := tx.tx.QueryRow(ctx, `INSERT INTO notify_mailbox (message_id, recipient, subject, text_body, html_body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		m.MessageID, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt.UTC()).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert mailbox message: %w", err)
	}
	return nil
}

// PruneMailbox deletes at most limit mailbox messages stored before
// before, skipping those another replica is deleting.
func (tx *Tx) PruneMailbox(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM notify_mailbox WHERE id IN (SELECT id FROM notify_mailbox
		WHERE created_at < $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)`, before.UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune mailbox: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// FindMailbox lists mailbox messages newest first.
func (tx *Tx) FindMailbox(ctx context.Context, beforeID int64, limit int) ([]*store.MailboxMessage, error) {
	q, args := `SELECT `+mailboxColumns+` FROM notify_mailbox`, []any{}
	if beforeID > 0 {
		q, args = q+` WHERE id < $1`, append(args, beforeID)
	}
	args = append(args, store.ListLimit(limit))
	rows, err := tx.tx.Query(ctx, q+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("find mailbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.MailboxMessage, error) { return scanMailbox(r) })
	if err != nil {
		return nil, fmt.Errorf("find mailbox: %w", err)
	}
	return out, nil
}

// FindMailboxMessage returns one mailbox message, or ENOTFOUND.
func (tx *Tx) FindMailboxMessage(ctx context.Context, id int64) (*store.MailboxMessage, error) {
	m, err := scanMailbox(tx.tx.QueryRow(ctx, `SELECT `+mailboxColumns+` FROM notify_mailbox WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, mesh.NotFound("mailbox message", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("find mailbox message: %w", err)
	}
	return m, nil
}

// OptOut records that address wants no more direct mail.
func (tx *Tx) OptOut(ctx context.Context, address string, at time.Time) error {
	if _, err := tx.tx.Exec(ctx, `INSERT INTO notify_optouts (address, created_at) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING`,
		strings.ToLower(address), at.UTC()); err != nil {
		return fmt.Errorf("opt out: %w", err)
	}
	return nil
}

// IsOptedOut reports whether address opted out of direct mail.
func (tx *Tx) IsOptedOut(ctx context.Context, address string) (bool, error) {
	var n int
	if err := tx.tx.QueryRow(ctx, `SELECT count(*) FROM notify_optouts WHERE address = $1`, strings.ToLower(address)).Scan(&n); err != nil {
		return false, fmt.Errorf("read opt-out: %w", err)
	}
	return n > 0, nil
}
