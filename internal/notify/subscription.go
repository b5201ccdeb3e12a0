package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// SubscribeInput asks for a subscription to an account's topic.
type SubscribeInput struct {
	AccountID string `json:"account_id"`
	Protocol  string `json:"protocol"`
	Endpoint  string `json:"endpoint"`
	// Slack asks for Slack-compatible webhook bodies.
	Slack bool `json:"slack,omitempty"`
}

// Subscribed is a new subscription with its webhook signing secret, which is
// shown only here.
type Subscribed struct {
	*store.Subscription
	SigningSecret string `json:"signing_secret,omitempty"`
}

// canManage allows mesh admins and the account's admins.
func canManage(ctx context.Context, accountID string) (*mesh.Actor, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !actor.IsMeshAdmin() && !actor.IsAdminOf(accountID) {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins and the admins of account %s manage its notifications", accountID)
	}
	return actor, nil
}

// Subscribe adds a pending subscription to the account's topic and queues
// its confirmation; it receives nothing else until confirmed. A pending
// subscription of the same endpoint whose confirmation link expired ends.
// An email address is the same endpoint in any case (sameEndpoint).
// Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID (account_id, protocol, endpoint), ENOTFOUND (no
// topic), ECONFLICT (the endpoint is subscribed already).
func (s *Service) Subscribe(ctx context.Context, in SubscribeInput) (*Subscribed, error) {
	if err := mesh.ValidateAccountID("account_id", in.AccountID); err != nil {
		return nil, err
	}
	actor, err := canManage(ctx, in.AccountID)
	if err != nil {
		return nil, err
	}
	ch, ok := s.opts.Channels[in.Protocol]
	if !ok {
		return nil, mesh.Invalid("protocol", "must be email, https or http, not %q", in.Protocol)
	}
	if in.Slack && in.Protocol == ProtocolEmail {
		return nil, mesh.Invalid("slack", "applies to webhooks (https, http), not email")
	}
	endpoint, err := ch.ValidateEndpoint(ctx, in.Endpoint)
	if err != nil {
		return nil, err
	}
	if in.Protocol != ProtocolEmail {
		// as SNS: an https subscription is delivered over https only
		if u, err := url.Parse(endpoint); err != nil || u.Scheme != in.Protocol {
			return nil, mesh.Invalid("endpoint", "a subscription of protocol %s needs an %s:// URL, not %s", in.Protocol, in.Protocol, mesh.RedactURL(endpoint))
		}
	}
	now := s.clock.Now()
	token := randomHex(32)
	sub := &store.Subscription{AccountID: in.AccountID, Protocol: in.Protocol, Endpoint: endpoint, Status: store.SubscriptionPending,
		Slack: in.Slack, TokenHash: hashToken(token), TokenExpires: now.Add(ConfirmationTTL), Secret: randomHex(32),
		CreatedBy: actor.Principal(), CreatedAt: now}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		t, err := tx.FindTopicByAccount(ctx, in.AccountID)
		if err != nil {
			return err
		}
		subs, err := tx.FindSubscriptions(ctx, in.AccountID, "")
		if err != nil {
			return err
		}
		for _, o := range subs {
			if o.Protocol != sub.Protocol || !sameEndpoint(o.Protocol, o.Endpoint, sub.Endpoint) {
				continue
			}
			if o.Status != store.SubscriptionPending || now.Before(o.TokenExpires) {
				return mesh.Errorf(mesh.ECONFLICT, "%s %s is subscribed already (subscription %d, %s)", o.Protocol, store.EndpointName(o.Protocol, o.Endpoint), o.ID, o.Status)
			}
			// its link expired, and its error says to subscribe again:
			// the new subscription replaces it
			if err := tx.UpdateSubscriptionStatus(ctx, o.ID, store.SubscriptionUnsubscribed, now); err != nil {
				return err
			}
			if err := store.Audit(ctx, tx, now, "notify.unsubscribe", subResource(o.ID),
				o.Protocol+" "+store.EndpointName(o.Protocol, o.Endpoint)+": not confirmed in time, subscribed again"); err != nil {
				return err
			}
		}
		sub.TopicID = t.ID
		if err := tx.CreateSubscription(ctx, sub); err != nil {
			return err
		}
		if err := s.queueConfirmation(ctx, tx, sub, t, token); err != nil {
			return err
		}
		return store.Audit(ctx, tx, now, "notify.subscribe", subResource(sub.ID),
			fmt.Sprintf("account=%s protocol=%s endpoint=%s", sub.AccountID, sub.Protocol, store.EndpointName(sub.Protocol, sub.Endpoint)))
	})
	if err != nil {
		return nil, err
	}
	out := &Subscribed{Subscription: sub}
	if sub.Protocol != ProtocolEmail {
		out.SigningSecret = sub.Secret
	}
	return out, nil
}

// sameEndpoint reports whether two endpoints of protocol are one: email
// addresses ignoring the case of their ASCII letters (a domain is
// case-insensitive, and in practice so is the local part; the stores'
// index compares them so too), webhook URLs as they are spelled. A
// subscription keeps the address as it was typed, which is where its mail
// goes: a server that does tell the local part's cases apart gets it as
// its user wrote it.
func sameEndpoint(protocol, a, b string) bool {
	if protocol != ProtocolEmail {
		return a == b
	}
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func subResource(id int64) string { return "subscription/" + strconv.FormatInt(id, 10) }

// queueConfirmation puts a subscription's confirmation message in the outbox.
func (s *Service) queueConfirmation(ctx context.Context, tx store.Tx, sub *store.Subscription, t *store.Topic, token string) error {
	msg := Message{
		ID:      "confirm-" + strconv.FormatInt(sub.ID, 10) + "-" + randomHex(4),
		Subject: "Confirm your subscription to " + t.Name + " of account " + t.AccountID,
		Text: fmt.Sprintf("You have been subscribed to the meshgate topic %s of account %s.\n"+
			"To confirm and start receiving its messages, open the link below and confirm within 3 days. "+
			"If you did not ask for this, ignore this message: nothing will be sent.", t.Name, t.AccountID),
		Links: []Link{{Label: "Confirm subscription", URL: s.confirmURL(token)}},
	}
	body, err := json.Marshal(payload{Message: msg, Token: token})
	if err != nil {
		return err
	}
	now := s.clock.Now()
	d := &store.Delivery{MessageID: msg.ID, SubscriptionID: sub.ID, Kind: KindConfirmation, Protocol: sub.Protocol,
		Endpoint: sub.Endpoint, Subject: msg.Subject, Payload: body, NextAttempt: now, CreatedAt: now}
	if err := tx.InsertDeliveries(ctx, []*store.Delivery{d}); err != nil {
		return err
	}
	tx.AfterCommit(s.wake)
	return nil
}

// Confirm confirms the subscription a confirmation token belongs to; anyone
// holding the token may (it came in the confirmation message). Confirming a
// confirmed subscription again (a second click, a receiver answering a
// confirmation delivered twice) returns it unchanged. Errors: ENOTFOUND
// (unknown token), EINVALID (expired, empty), ECONFLICT (unsubscribed).
func (s *Service) Confirm(ctx context.Context, token string) (*store.Subscription, error) {
	if token == "" {
		return nil, mesh.Invalid("token", "is required")
	}
	var sub *store.Subscription
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		sub, err = tx.FindSubscriptionByToken(ctx, hashToken(token))
		if err != nil {
			return err
		}
		switch sub.Status {
		case store.SubscriptionConfirmed:
			return nil
		case store.SubscriptionPending:
		default:
			return mesh.Errorf(mesh.ECONFLICT, "subscription %d is %s", sub.ID, sub.Status)
		}
		if !now.Before(sub.TokenExpires) {
			return mesh.Invalid("token", "the confirmation link expired at %s; subscribe again", sub.TokenExpires.Format("2006-01-02 15:04 MST"))
		}
		if err := tx.UpdateSubscriptionStatus(ctx, sub.ID, store.SubscriptionConfirmed, now); err != nil {
			return err
		}
		sub.Status, sub.ConfirmedAt = store.SubscriptionConfirmed, now
		return auditSubscription(ctx, tx, now, "notify.confirm", sub)
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// Unsubscribe ends a subscription; nothing queued for it afterwards is
// delivered. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) Unsubscribe(ctx context.Context, id int64) (*store.Subscription, error) {
	return s.unsubscribe(ctx, id, func(sub *store.Subscription) error {
		_, err := canManage(ctx, sub.AccountID)
		return err
	})
}

// UnsubscribeByLink ends a subscription through the signed link its messages
// carry. Errors: EFORBIDDEN (a bad signature), ENOTFOUND.
func (s *Service) UnsubscribeByLink(ctx context.Context, id int64, sig string) (*store.Subscription, error) {
	if !s.CheckUnsubscribeSig(id, sig) {
		return nil, mesh.Errorf(mesh.EFORBIDDEN, "this unsubscribe link is not valid")
	}
	return s.unsubscribe(ctx, id, func(*store.Subscription) error { return nil })
}

func (s *Service) unsubscribe(ctx context.Context, id int64, allow func(*store.Subscription) error) (*store.Subscription, error) {
	var sub *store.Subscription
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if sub, err = tx.FindSubscription(ctx, id); err != nil {
			return err
		}
		if err := allow(sub); err != nil {
			return err
		}
		if sub.Status == store.SubscriptionUnsubscribed {
			return nil
		}
		if err := tx.UpdateSubscriptionStatus(ctx, id, store.SubscriptionUnsubscribed, now); err != nil {
			return err
		}
		sub.Status = store.SubscriptionUnsubscribed
		return auditSubscription(ctx, tx, now, "notify.unsubscribe", sub)
	})
	return sub, err
}

// FindSubscription returns one subscription to a mesh admin or the
// account's admins. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) FindSubscription(ctx context.Context, id int64) (*store.Subscription, error) {
	var sub *store.Subscription
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		sub, err = tx.FindSubscription(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := canManage(ctx, sub.AccountID); err != nil {
		return nil, err
	}
	return sub, nil
}

// scope returns the account a listing covers: any (or all, "") for mesh
// admins, only their own for an account's admins.
func scope(ctx context.Context, accountID string) (string, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return "", err
	}
	if actor.IsMeshAdmin() {
		return accountID, nil
	}
	if accountID == "" {
		accountID = actor.AccountID
	}
	_, err = canManage(ctx, accountID)
	return accountID, err
}

// auditSubscription records action on sub, naming its endpoint (a webhook
// without its secret parts). Whoever follows a confirmation or unsubscribe
// link is anonymous: the entry then names the subscription's account, so
// that the account's audit lists it.
func auditSubscription(ctx context.Context, tx store.Tx, now time.Time, action string, sub *store.Subscription) error {
	e := mesh.NewAuditEntry(mesh.ActorFromContext(ctx), now, action, subResource(sub.ID))
	e.Detail = sub.Protocol + " " + store.EndpointName(sub.Protocol, sub.Endpoint)
	if e.AccountID == "" {
		e.AccountID = sub.AccountID
	}
	return tx.InsertAudit(ctx, &e)
}

// knownAccount is ENOTFOUND for an account a listing names that was never
// onboarded (or is offboarded), which would list as one with nothing in it.
func knownAccount(ctx context.Context, tx store.Tx, accountID string) error {
	if accountID == "" {
		return nil
	}
	_, err := tx.FindAccountByID(ctx, accountID)
	return err
}

// FindSubscriptions lists the subscriptions of an account's topic (all
// accounts' for mesh admins when accountID is ""), leaving out unsubscribed
// ones. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (the account).
func (s *Service) FindSubscriptions(ctx context.Context, accountID string) ([]*store.Subscription, error) {
	accountID, err := scope(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := []*store.Subscription{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if err := knownAccount(ctx, tx, accountID); err != nil {
			return err
		}
		subs, err := tx.FindSubscriptions(ctx, accountID, "")
		if subs != nil {
			out = subs
		}
		return err
	})
	return out, err
}

// FindTopics lists topics as FindSubscriptions lists subscriptions.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (the account).
func (s *Service) FindTopics(ctx context.Context, accountID string) ([]*store.Topic, error) {
	accountID, err := scope(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := []*store.Topic{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if err := knownAccount(ctx, tx, accountID); err != nil {
			return err
		}
		ts, err := tx.FindTopics(ctx, accountID)
		if ts != nil {
			out = ts
		}
		return err
	})
	return out, err
}

// FindDeliveries lists deliveries, newest first: every one for mesh admins,
// those of their account's subscriptions for an account's admins.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (status), ENOTFOUND (the account).
func (s *Service) FindDeliveries(ctx context.Context, f store.DeliveryFilter) ([]*store.Delivery, error) {
	switch f.Status {
	case "", store.DeliveryPending, store.DeliverySent, store.DeliveryFailed:
	default:
		return nil, mesh.Invalid("status", "must be pending, sent or failed, not %q", f.Status)
	}
	var err error
	if f.AccountID, err = scope(ctx, f.AccountID); err != nil {
		return nil, err
	}
	out := []*store.Delivery{}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if err := knownAccount(ctx, tx, f.AccountID); err != nil {
			return err
		}
		ds, err := tx.FindDeliveries(ctx, f)
		if ds != nil {
			out = ds
		}
		return err
	})
	return out, err
}

// RetryDelivery sends a dead-lettered delivery again, with a fresh run of
// the retry policy. Mesh admins retry any; an account's admins those of its
// subscriptions. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT (not failed).
func (s *Service) RetryDelivery(ctx context.Context, id int64) (*store.Delivery, error) {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	var d *store.Delivery
	now := s.clock.Now()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if d, err = tx.FindDelivery(ctx, id); err != nil {
			return err
		}
		if !actor.IsMeshAdmin() {
			if d.SubscriptionID == 0 {
				return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins retry direct messages")
			}
			sub, err := tx.FindSubscription(ctx, d.SubscriptionID)
			if err != nil {
				return err
			}
			if _, err := canManage(ctx, sub.AccountID); err != nil {
				return err
			}
		}
		if err := tx.RetryDelivery(ctx, id, now); err != nil {
			return err
		}
		d.Status, d.Attempts, d.NextAttempt = store.DeliveryPending, 0, now
		tx.AfterCommit(s.wake)
		return store.Audit(ctx, tx, now, "notify.retry", "delivery/"+strconv.FormatInt(id, 10), d.MessageID)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// FindMailbox lists the built-in mailbox, newest first; mesh admins only.
// The links a guard refuses the reader are withheld (GuardLinks).
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) FindMailbox(ctx context.Context, beforeID int64, limit int) ([]*store.MailboxMessage, error) {
	if err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	out := []*store.MailboxMessage{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		ms, err := tx.FindMailbox(ctx, beforeID, limit)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := s.withhold(ctx, tx, m); err != nil {
				return err
			}
		}
		if ms != nil {
			out = ms
		}
		return nil
	})
	return out, err
}

// FindMailboxMessage returns one message of the built-in mailbox; mesh
// admins only. The links a guard refuses the reader are withheld
// (GuardLinks). Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) FindMailboxMessage(ctx context.Context, id int64) (*store.MailboxMessage, error) {
	if err := requireMeshAdmin(ctx); err != nil {
		return nil, err
	}
	var m *store.MailboxMessage
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if m, err = tx.FindMailboxMessage(ctx, id); err != nil {
			return err
		}
		return s.withhold(ctx, tx, m)
	})
	return m, err
}

func requireMeshAdmin(ctx context.Context) error {
	actor, err := mesh.RequireActor(ctx)
	if err != nil {
		return err
	}
	if !actor.IsMeshAdmin() {
		return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins read the mailbox")
	}
	return nil
}
