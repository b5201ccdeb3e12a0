package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Options configure a Service. Zero fields take the documented defaults.
type Options struct {
	// PublicURL is the base of every link in a message (required in
	// production; default http://127.0.0.1:8080).
	PublicURL string
	// LinkKey signs unsubscribe links (required).
	LinkKey []byte
	// Channels deliver by protocol ("email", "https", "http").
	Channels map[string]Channel
	// Policy is the retry policy; nil for SNSEmailPolicy (a policy of no
	// retries is the zero value, so the default cannot be).
	Policy *RetryPolicy
	// Owner names this process in delivery leases (default a random id).
	Owner string
	// Concurrency bounds deliveries in flight (default 64).
	Concurrency int
	// PerEndpoint bounds the deliveries in flight to one endpoint, so that
	// one that hangs holds only these slots (default a quarter of Concurrency).
	PerEndpoint int
	// Timeout bounds one attempt (default 15s).
	Timeout time.Duration
	// Lease is how long a leased delivery stays with this process before
	// another may take it (default 2m, or twice Timeout if that is longer;
	// a shorter one is raised to twice Timeout). It is also how long the
	// deliveries a killed process held wait before they go again.
	Lease time.Duration
	// PollInterval is how often the sender looks for due deliveries when
	// nothing wakes it (default 1s).
	PollInterval time.Duration
	// Retention is how long sent and dead-lettered deliveries and the
	// built-in mailbox's messages are kept (default DefaultRetention, 30
	// days); negative keeps them forever (see Prune).
	Retention time.Duration
	Clock     mesh.Clock
	Logger    *slog.Logger
}

// DefaultTimeout and DefaultLease are the defaults of Options.Timeout and
// Options.Lease.
const (
	DefaultTimeout = 15 * time.Second
	DefaultLease   = 2 * time.Minute
)

// Service manages topics and subscriptions and queues messages.
type Service struct {
	store  store.Store
	opts   Options
	policy RetryPolicy
	clock  mesh.Clock
	log    *slog.Logger
	kick   chan struct{}
	// counters count the sender's outcomes (metrics.go).
	counters deliveryCounters
	// guards are the guards of signed links' purposes (GuardLinks).
	guards map[string]LinkGuard
}

// NewService returns the notification service.
func NewService(s store.Store, opts Options) *Service {
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1:8080"
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	policy := SNSEmailPolicy
	if opts.Policy != nil {
		policy = *opts.Policy
	}
	if opts.Owner == "" {
		opts.Owner = "notify-" + randomHex(6)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	if opts.PerEndpoint <= 0 {
		opts.PerEndpoint = max(1, opts.Concurrency/4)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Lease <= 0 {
		opts.Lease = max(DefaultLease, 2*opts.Timeout)
	}
	// an attempt may start up to Lease-Timeout after the claim (a job
	// waiting for its endpoint) and its outcome must be recorded before the
	// lease ends, or the delivery goes twice
	opts.Lease = max(opts.Lease, 2*opts.Timeout)
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Clock == nil {
		opts.Clock = mesh.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: s, opts: opts, policy: policy, clock: opts.Clock, log: opts.Logger, kick: make(chan struct{}, 1),
		counters: newDeliveryCounters(), guards: map[string]LinkGuard{}}
}

// PublicURL returns the base of the service's links.
func (s *Service) PublicURL() string { return s.opts.PublicURL }

// SetPublicURL changes the base of the links, before the sender starts
// (the server learns its address only once it listens).
func (s *Service) SetPublicURL(u string) { s.opts.PublicURL = strings.TrimRight(u, "/") }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// wake tells the sender that deliveries are due.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// CreateTopic gives an account its topic, in the transaction that onboards
// it (the account service's onboarding hook). An account that has one keeps it.
func (s *Service) CreateTopic(ctx context.Context, tx store.Tx, a *mesh.Account) error {
	err := tx.CreateTopic(ctx, &store.Topic{AccountID: a.ID, Name: DefaultTopicName, CreatedAt: s.clock.Now()})
	if mesh.IsCode(err, mesh.ECONFLICT) {
		return nil
	}
	return err
}

// Offboard is the offboarding clean-up (an account.CleanupFunc; a transfer
// of products leaves the topic to end with its account): the account's topic stops
// taking messages and is removed, with its subscriptions, once what is
// queued for it is delivered or dead-lettered.
func (s *Service) Offboard(ctx context.Context, tx store.Tx, accountID, _ string) ([]string, error) {
	t, err := tx.FindTopicByAccount(ctx, accountID)
	if mesh.IsCode(err, mesh.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := tx.MarkTopicDeleted(ctx, accountID, s.clock.Now()); err != nil {
		return nil, err
	}
	return []string{"topic/" + t.Name + " (removed once its queued messages are delivered)"}, nil
}

// Publish queues msg for every confirmed subscription of the account's topic,
// in tx: the deliveries exist exactly when tx commits, and the sender is
// woken after the commit. An account without a topic or without confirmed
// subscriptions queues nothing. Publishing a message id again for the same
// subscription queues nothing new. Errors: EINVALID (a message without
// subject or text, a bad link).
func (s *Service) Publish(ctx context.Context, tx store.Tx, accountID string, msg Message) error {
	if err := s.checkMessage(&msg); err != nil {
		return err
	}
	subs, err := tx.FindSubscriptions(ctx, accountID, store.SubscriptionConfirmed)
	if err != nil || len(subs) == 0 {
		return err
	}
	body, err := json.Marshal(payload{Message: msg})
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	now := s.clock.Now()
	ds := make([]*store.Delivery, len(subs))
	for i, sub := range subs {
		ds[i] = &store.Delivery{MessageID: msg.ID, SubscriptionID: sub.ID, Kind: KindNotification, Protocol: sub.Protocol,
			Endpoint: sub.Endpoint, Subject: msg.Subject, Payload: body, NextAttempt: now, CreatedAt: now}
	}
	if err := tx.InsertDeliveries(ctx, ds); err != nil {
		return err
	}
	tx.AfterCommit(s.wake)
	return nil
}

// Send queues msg by email to one address (a requester, an account's
// admin), in tx; an address that opted out of direct mail (through the link
// every such message carries) gets nothing. Errors: EINVALID (a bad address or message).
func (s *Service) Send(ctx context.Context, tx store.Tx, recipient string, msg Message) error {
	if recipient == "" {
		return mesh.Invalid("recipient", "is required")
	}
	if err := mesh.ValidateEmail("recipient", recipient); err != nil {
		return err
	}
	if err := s.checkMessage(&msg); err != nil {
		return err
	}
	if out, err := tx.IsOptedOut(ctx, recipient); err != nil || out {
		return err // an address that opted out gets nothing
	}
	body, err := json.Marshal(payload{Message: msg})
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	now := s.clock.Now()
	d := &store.Delivery{MessageID: msg.ID, Kind: KindDirect, Protocol: ProtocolEmail, Endpoint: recipient,
		Subject: msg.Subject, Payload: body, NextAttempt: now, CreatedAt: now}
	if err := tx.InsertDeliveries(ctx, []*store.Delivery{d}); err != nil {
		return err
	}
	tx.AfterCommit(s.wake)
	return nil
}

func (s *Service) checkMessage(m *Message) error {
	if m.ID == "" {
		m.ID = newMessageID()
	}
	if len(m.ID) > 200 {
		return mesh.Invalid("message.id", "is longer than 200 characters")
	}
	if strings.TrimSpace(m.Subject) == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return mesh.Invalid("message.subject", "is required, on one line")
	}
	if strings.TrimSpace(m.Text) == "" {
		return mesh.Invalid("message.text", "is required")
	}
	if len(m.Data) > 0 && !json.Valid(m.Data) {
		return mesh.Invalid("message.data", "is not valid JSON")
	}
	for _, l := range m.Links {
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return mesh.Invalid("message.links", "%q is not an absolute http(s) URL", l.URL)
		}
	}
	return nil
}

// newMessageID returns a random message id in the UUID form SNS uses.
func newMessageID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// confirmURL is the link that confirms a subscription.
func (s *Service) confirmURL(token string) string {
	return s.opts.PublicURL + "/api/v1/subscriptions/confirm?token=" + url.QueryEscape(token)
}

// unsubscribeSig signs an unsubscribe link of a subscription, or of direct
// mail to an address.
func (s *Service) unsubscribeSig(what string) string {
	m := hmac.New(sha256.New, s.opts.LinkKey)
	m.Write([]byte("unsubscribe\x00" + what))
	return hex.EncodeToString(m.Sum(nil))
}

// unsubscribeURL is the link every message of a subscription carries.
func (s *Service) unsubscribeURL(subID int64) string {
	id := strconv.FormatInt(subID, 10)
	return s.opts.PublicURL + "/api/v1/subscriptions/" + id + "/unsubscribe?sig=" + s.unsubscribeSig("s:"+id)
}

// CheckUnsubscribeSig reports whether sig signs the unsubscribe link of subscription id.
func (s *Service) CheckUnsubscribeSig(id int64, sig string) bool {
	want := s.unsubscribeSig("s:" + strconv.FormatInt(id, 10))
	return hmac.Equal([]byte(want), []byte(sig))
}

// optOutURL is the link every direct message carries.
func (s *Service) optOutURL(address string) string {
	address = strings.ToLower(address)
	return s.opts.PublicURL + "/api/v1/optout?address=" + url.QueryEscape(address) + "&sig=" + s.unsubscribeSig("d:"+address)
}

// CheckOptOutSig reports whether sig signs the opt-out link of address.
func (s *Service) CheckOptOutSig(address, sig string) bool {
	want := s.unsubscribeSig("d:" + strings.ToLower(address))
	return hmac.Equal([]byte(want), []byte(sig))
}

// OptOutByLink records, through the signed link of a direct message, that
// its address wants no more direct mail. Errors: EFORBIDDEN (a bad signature).
func (s *Service) OptOutByLink(ctx context.Context, address, sig string) error {
	if address == "" || !s.CheckOptOutSig(address, sig) {
		return mesh.Errorf(mesh.EFORBIDDEN, "this unsubscribe link is not valid")
	}
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.OptOut(ctx, address, now); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "notify.optout", "address/"+strings.ToLower(address), "")
	})
}
