package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Topic is an account's notification topic.
type Topic struct {
	ID        int64     `json:"id"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// SubscribeInput asks for a subscription to an account's topic.
type SubscribeInput struct {
	AccountID string `json:"account_id"`
	Protocol  string `json:"protocol"`
	Endpoint  string `json:"endpoint"`
	Slack     bool   `json:"slack,omitempty"`
}

// Subscription is an email address or webhook receiving a topic's messages
// once confirmed. SigningSecret is set only in the answer to Subscribe.
type Subscription struct {
	ID                  int64     `json:"id"`
	TopicID             int64     `json:"topic_id"`
	AccountID           string    `json:"account_id"`
	Protocol            string    `json:"protocol"`
	Endpoint            string    `json:"endpoint"`
	Status              string    `json:"status"`
	Slack               bool      `json:"slack"`
	ConfirmationExpires time.Time `json:"confirmation_expires,omitzero"`
	CreatedBy           string    `json:"created_by"`
	CreatedAt           time.Time `json:"created_at"`
	ConfirmedAt         time.Time `json:"confirmed_at,omitzero"`
	SigningSecret       string    `json:"signing_secret,omitempty"`
}

// Delivery is one message on its way to one endpoint.
type Delivery struct {
	ID             int64     `json:"id"`
	MessageID      string    `json:"message_id"`
	SubscriptionID int64     `json:"subscription_id,omitempty"`
	Kind           string    `json:"kind"`
	Protocol       string    `json:"protocol"`
	Endpoint       string    `json:"endpoint"`
	Subject        string    `json:"subject"`
	Attempts       int       `json:"attempts"`
	NextAttempt    time.Time `json:"next_attempt"`
	Status         string    `json:"status"`
	LastError      string    `json:"last_error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	SentAt         time.Time `json:"sent_at,omitzero"`
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
	// Withheld says why links of the message were taken out for the reader
	// (an approval link of a request they made); "" when none were.
	Withheld string `json:"withheld,omitempty"`
}

func accountQuery(account string) url.Values {
	if account == "" {
		return nil
	}
	return url.Values{"account": {account}}
}

// Topics lists topics (of one account when account is set).
func (c *Client) Topics(ctx context.Context, account string) ([]Topic, error) {
	var out struct {
		Topics []Topic `json:"topics"`
	}
	return out.Topics, c.Do(ctx, http.MethodGet, "/api/v1/topics", accountQuery(account), nil, &out)
}

// Subscribe adds a pending subscription; it receives a confirmation message first.
func (c *Client) Subscribe(ctx context.Context, in SubscribeInput) (*Subscription, error) {
	var out Subscription
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/subscriptions", nil, in, &out)
}

// Subscriptions lists subscriptions that are not unsubscribed.
func (c *Client) Subscriptions(ctx context.Context, account string) ([]Subscription, error) {
	var out struct {
		Subscriptions []Subscription `json:"subscriptions"`
	}
	return out.Subscriptions, c.Do(ctx, http.MethodGet, "/api/v1/subscriptions", accountQuery(account), nil, &out)
}

// Subscription describes one subscription.
func (c *Client) Subscription(ctx context.Context, id int64) (*Subscription, error) {
	var out Subscription
	return &out, c.Do(ctx, http.MethodGet, "/api/v1/subscriptions/"+strconv.FormatInt(id, 10), nil, nil, &out)
}

// Unsubscribe ends a subscription.
func (c *Client) Unsubscribe(ctx context.Context, id int64) (*Subscription, error) {
	var out Subscription
	return &out, c.Do(ctx, http.MethodDelete, "/api/v1/subscriptions/"+strconv.FormatInt(id, 10), nil, nil, &out)
}

// ConfirmSubscription confirms a subscription with its confirmation token.
func (c *Client) ConfirmSubscription(ctx context.Context, token string) (*Subscription, error) {
	var out Subscription
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/subscriptions/confirm", nil, map[string]string{"token": token}, &out)
}

// Deliveries lists deliveries newest first, of one status when status is set.
func (c *Client) Deliveries(ctx context.Context, status, account string, limit int) ([]Delivery, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if account != "" {
		q.Set("account", account)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	return out.Deliveries, c.Do(ctx, http.MethodGet, "/api/v1/deliveries", q, nil, &out)
}

// RetryDelivery sends a dead-lettered delivery again.
func (c *Client) RetryDelivery(ctx context.Context, id int64) (*Delivery, error) {
	var out Delivery
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/deliveries/"+strconv.FormatInt(id, 10)+"/retry", nil, nil, &out)
}

// Mailbox lists the built-in mailbox, newest first.
func (c *Client) Mailbox(ctx context.Context, limit int) ([]MailboxMessage, error) {
	var q url.Values
	if limit > 0 {
		q = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var out struct {
		Messages []MailboxMessage `json:"messages"`
	}
	return out.Messages, c.Do(ctx, http.MethodGet, "/api/v1/mailbox", q, nil, &out)
}

// MailboxMessage returns one message of the built-in mailbox.
func (c *Client) MailboxMessage(ctx context.Context, id int64) (*MailboxMessage, error) {
	var out MailboxMessage
	return &out, c.Do(ctx, http.MethodGet, "/api/v1/mailbox/"+strconv.FormatInt(id, 10), nil, nil, &out)
}
