package store

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Topic is an account's notification topic: what its producers' events are
// published to and its subscriptions hang from.
type Topic struct {
	ID        int64     `json:"id"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// DeletedAt is set once its account is offboarded; the topic and its
	// subscriptions go when nothing is left to deliver.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// Subscription is an endpoint receiving a topic's messages once confirmed.
type Subscription struct {
	ID        int64  `json:"id"`
	TopicID   int64  `json:"topic_id"`
	AccountID string `json:"account_id"`
	Protocol  string `json:"protocol"` // "email", "https", "http"
	Endpoint  string `json:"endpoint"`
	Status    string `json:"status"`
	// Slack asks for a Slack-compatible webhook body ({"text": ...}).
	Slack bool `json:"slack"`
	// TokenHash is the SHA-256 of the confirmation token; TokenExpires its end.
	TokenHash    string    `json:"-"`
	TokenExpires time.Time `json:"confirmation_expires,omitzero"`
	// Secret signs webhook bodies; shown once, when the subscription is made.
	Secret      string    `json:"-"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// EndpointName names an endpoint of protocol in what others read than the
// account's admins (the audit log, logs, errors, a delivery's last error,
// the answer to whoever holds a link a message carried): an email address
// as it is, a webhook URL by its scheme, host and a digest (mesh.RedactURL),
// for its path or query may be its secret.
func EndpointName(protocol, endpoint string) string {
	if protocol == "email" {
		return endpoint
	}
	return mesh.RedactURL(endpoint)
}

// Subscription statuses.
const (
	SubscriptionPending      = "pending-confirmation"
	SubscriptionConfirmed    = "confirmed"
	SubscriptionUnsubscribed = "unsubscribed"
)

// Delivery is one message on its way to one endpoint: the notification
// outbox. MessageID and SubscriptionID (or Endpoint, for direct messages)
// are unique together, so a message is queued once per endpoint.
type Delivery struct {
	ID        int64  `json:"id"`
	MessageID string `json:"message_id"`
	// SubscriptionID is 0 for a direct message to a user's address.
	SubscriptionID int64  `json:"subscription_id,omitempty"`
	Kind           string `json:"kind"` // "notification", "confirmation", "direct"
	Protocol       string `json:"protocol"`
	Endpoint       string `json:"endpoint"`
	// Payload is the message as the notify package encodes it.
	Payload     []byte    `json:"-"`
	Subject     string    `json:"subject"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	Status      string    `json:"status"`
	LastError   string    `json:"last_error,omitempty"`
	LeaseOwner  string    `json:"-"`
	LeaseUntil  time.Time `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	SentAt      time.Time `json:"sent_at,omitzero"`
}

// Delivery statuses. A failed delivery is dead-lettered: it is not tried
// again unless an admin retries it.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// DeliveryResult is the outcome of one attempt at a leased delivery.
type DeliveryResult struct {
	ID int64
	// Protocol is the delivery's, by which the sender counts its outcomes;
	// the store does not write it.
	Protocol string
	// Status is DeliverySent, DeliveryPending (try again at NextAttempt) or DeliveryFailed.
	Status      string
	NextAttempt time.Time
	Error       string
	At          time.Time
	// Mailbox, when set, is stored in the built-in mailbox in the same
	// transaction: the delivery of an email when no SMTP server is configured.
	Mailbox *MailboxMessage
}

// DeliveryFilter selects deliveries, newest first.
type DeliveryFilter struct {
	Status string
	// AccountID keeps the deliveries of that account's subscriptions.
	AccountID string
	BeforeID  int64
	Limit     int
}

// MailboxMessage is an email kept by the built-in mailbox.
type MailboxMessage struct {
	ID        int64     `json:"id"`
	MessageID string    `json:"message_id"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	HTML      string    `json:"html"`
	CreatedAt time.Time `json:"created_at"`
	// Withheld, never stored, says why the notify service took links out
	// of Text and HTML for the reader (notify.GuardLinks); "" when it took none.
	Withheld string `json:"withheld,omitempty"`
}

// NotifyTx is the notification part of a transaction.
type NotifyTx interface {
	// CreateTopic inserts t and sets its ID; ECONFLICT when the account has a live topic.
	CreateTopic(ctx context.Context, t *Topic) error
	// FindTopicByAccount returns the account's live topic, or ENOTFOUND.
	FindTopicByAccount(ctx context.Context, accountID string) (*Topic, error)
	// FindTopics lists topics (live ones, of one account when accountID is set), by account.
	FindTopics(ctx context.Context, accountID string) ([]*Topic, error)
	// MarkTopicDeleted sets the account's live topic's DeletedAt; no error when it has none.
	MarkTopicDeleted(ctx context.Context, accountID string, at time.Time) error
	// PurgeDeletedTopics removes deleted topics with their subscriptions once
	// none of their deliveries is pending, and returns how many it removed.
	PurgeDeletedTopics(ctx context.Context) (int, error)

	// CreateSubscription inserts s and sets its ID; ECONFLICT when its
	// endpoint holds a live (not unsubscribed) subscription to the topic.
	// Email endpoints are compared ignoring the case of ASCII letters, and
	// stored as given; webhook URLs are compared as they are.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// FindSubscription returns a subscription by id, or ENOTFOUND.
	FindSubscription(ctx context.Context, id int64) (*Subscription, error)
	// FindSubscriptionByToken returns the subscription whose confirmation
	// token has this hash, or ENOTFOUND.
	FindSubscriptionByToken(ctx context.Context, hash string) (*Subscription, error)
	// FindSubscriptions lists the subscriptions of an account's live topic
	// (every live topic's when accountID is ""), leaving out unsubscribed ones, by id.
	FindSubscriptions(ctx context.Context, accountID string, status string) ([]*Subscription, error)
	// UpdateSubscriptionStatus sets status (and ConfirmedAt when
	// confirming; the token still finds the subscription); ENOTFOUND when
	// missing.
	UpdateSubscriptionStatus(ctx context.Context, id int64, status string, at time.Time) error

	// InsertDeliveries queues deliveries and sets their IDs; one whose
	// message id is already queued for the same subscription (or, for
	// direct messages, endpoint) is left out, and its ID stays 0.
	InsertDeliveries(ctx context.Context, ds []*Delivery) error
	// ClaimDeliveries leases to owner until leaseUntil up to limit pending
	// deliveries due at now whose lease is free or expired, oldest due first,
	// leaving out those to the endpoints in skip.
	ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, skip []string) ([]*Delivery, error)
	// FinishDeliveries records results of deliveries leased by owner: each
	// counts an attempt. A result for a delivery no longer leased by owner
	// is skipped; the ids recorded are returned. A sent delivery's payload
	// is dropped (it may hold secrets: a confirmation token, approval
	// links), since nothing sends it again; a dead-lettered one keeps its
	// payload for a retry. Sent and dead-lettered deliveries are finished
	// at the result's time, which PruneDeliveries counts from.
	FinishDeliveries(ctx context.Context, owner string, rs []DeliveryResult) ([]int64, error)
	// ReleaseDeliveryLeases frees every lease, for a process that knows it is
	// the store's only user (SQLite) when it starts.
	ReleaseDeliveryLeases(ctx context.Context) error
	// FindDelivery returns a delivery, or ENOTFOUND.
	FindDelivery(ctx context.Context, id int64) (*Delivery, error)
	// FindDeliveries lists deliveries matching f, newest first.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// CountDeliveries counts the deliveries in status, every process's, up
	// to limit: a count that reaches limit stops there, so that the read
	// stays short however many there are. It reads an index of status and
	// takes no write lock (on SQLite, not the writer).
	CountDeliveries(ctx context.Context, status string, limit int) (int, error)
	// RetryDelivery puts a failed delivery back to pending, due at now;
	// ECONFLICT when it is not failed, ENOTFOUND when missing.
	RetryDelivery(ctx context.Context, id int64, now time.Time) error
	// PruneDeliveries deletes at most limit sent or dead-lettered deliveries
	// finished before before, first finished first, and returns how many.
	// Pending ones (retries among them) stay. A message id whose delivery
	// is gone may be queued again for its endpoint. Stores shared by
	// several processes let them prune at once: each deletes rows no other
	// is deleting, and a row gone already is not counted.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)

	// OptOut records that address wants no more direct mail; no error when it did already.
	OptOut(ctx context.Context, address string, at time.Time) error
	// IsOptedOut reports whether address opted out of direct mail.
	IsOptedOut(ctx context.Context, address string) (bool, error)

	// InsertMailbox stores m and sets its ID.
	InsertMailbox(ctx context.Context, m *MailboxMessage) error
	// FindMailbox lists mailbox messages newest first (before beforeID when set).
	FindMailbox(ctx context.Context, beforeID int64, limit int) ([]*MailboxMessage, error)
	// FindMailboxMessage returns one mailbox message, or ENOTFOUND.
	FindMailboxMessage(ctx context.Context, id int64) (*MailboxMessage, error)
	// PruneMailbox deletes at most limit mailbox messages stored before
	// before, oldest first, and returns how many; as PruneDeliveries, safe
	// to run in several processes at once.
	PruneMailbox(ctx context.Context, before time.Time, limit int) (int, error)
}
