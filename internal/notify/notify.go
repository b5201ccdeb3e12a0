// Package notify delivers meshgate's notifications: each account has a
// topic; confirmed email and webhook subscriptions receive what is published
// to it; direct messages go to one user's address.
//
// Delivery goes through a transactional outbox: Publish and Send write one
// delivery row per endpoint in the caller's transaction, so a message exists
// exactly when the event that caused it commits; the Sender loop leases due
// rows, hands them to a Channel (email/, webhook/) and records each outcome,
// retrying on a RetryPolicy and dead-lettering what never gets through.
// Receivers see every message at least once, with a stable message id to
// dedupe on.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// DefaultTopicName is the name of the topic every account gets when it is
// onboarded, as in the reference design.
const DefaultTopicName = "DataLakeSharingApproval"

// Protocols a subscription may use.
const (
	ProtocolEmail = "email"
	ProtocolHTTPS = "https"
	ProtocolHTTP  = "http"
)

// Kinds of delivery.
const (
	KindNotification = "notification" // a message published to a topic
	KindConfirmation = "confirmation" // the one message an unconfirmed subscription receives
	KindDirect       = "direct"       // a message to one user's address
)

// ConfirmationTTL is how long a subscription's confirmation link stays
// valid, as in SNS.
const ConfirmationTTL = 72 * time.Hour

// Message is what a producer of notifications hands to Publish or Send.
type Message struct {
	// ID is the message's stable id, which receivers dedupe on; give one
	// derived from the event ("approval-request-42") so that publishing the
	// same event twice queues it once. Empty: a random id.
	ID string `json:"id"`
	// Subject is the email subject and the webhook body's subject (required).
	Subject string `json:"subject"`
	// Text is the plain-text body (required).
	Text string `json:"text"`
	// HTML is an optional HTML fragment for the email's HTML part; without
	// it the HTML part shows Text.
	HTML string `json:"html,omitempty"`
	// Data is optional structured content, sent as "data" in webhook bodies.
	Data json.RawMessage `json:"data,omitempty"`
	// Links are actions the message offers (label and absolute URL), shown
	// in every body after the text.
	Links []Link `json:"links,omitempty"`
}

// Link is an action a message offers.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Envelope is one delivery as a Channel sees it: the message, where it
// goes, and the links every message carries.
type Envelope struct {
	MessageID string
	Kind      string
	Protocol  string
	Endpoint  string
	AccountID string
	TopicName string
	// Subscription is nil for a direct message.
	Subscription *store.Subscription
	Message      Message
	// UnsubscribeURL ends the subscription (or, for a direct message, says how
	// to stop them); every message carries it.
	UnsubscribeURL string
	// ConfirmURL and Token confirm a subscription; set for confirmations only.
	ConfirmURL string
	Token      string
	// Timestamp is when this attempt was made.
	Timestamp time.Time
	// Stored, set by a channel that keeps the message itself (the built-in
	// mailbox), is written in the transaction that records the delivery.
	Stored *store.MailboxMessage
}

// Channel delivers envelopes of one protocol.
type Channel interface {
	// ValidateEndpoint checks an endpoint at subscribe time and returns
	// it in canonical form, or an EINVALID error with the reason.
	ValidateEndpoint(ctx context.Context, endpoint string) (string, error)
	// Deliver sends env; an error is retried on the policy unless it is Permanent.
	Deliver(ctx context.Context, env *Envelope) error
}

// permanentError is a failure that trying again cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure no retry can fix: the delivery is
// dead-lettered at once.
func Permanent(err error) error { return &permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// payload is a delivery's stored content.
type payload struct {
	Message Message `json:"message"`
	// Token is a confirmation's raw token; the store drops the payload of a
	// confirmation once it is sent.
	Token string `json:"token,omitempty"`
}
