package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/meshgate/meshgate/internal/store"
)

// PublishEach queues a message of its own for every confirmed subscription
// of the account's topic, in tx, as Publish does: build makes each one, so
// that a message may carry links meant for that subscription alone (an
// approval's signed links). Every message should have the same ID, which
// receivers dedupe on. Errors: EINVALID (a message without subject or text,
// a bad link), and build's.
func (s *Service) PublishEach(ctx context.Context, tx store.Tx, accountID string, build func(sub *store.Subscription) (Message, error)) error {
	subs, err := tx.FindSubscriptions(ctx, accountID, store.SubscriptionConfirmed)
	if err != nil || len(subs) == 0 {
		return err
	}
	now := s.clock.Now()
	ds := make([]*store.Delivery, 0, len(subs))
	for _, sub := range subs {
		msg, err := build(sub)
		if err != nil {
			return err
		}
		if err := s.checkMessage(&msg); err != nil {
			return err
		}
		body, err := json.Marshal(payload{Message: msg})
		if err != nil {
			return fmt.Errorf("encode message: %w", err)
		}
		ds = append(ds, &store.Delivery{MessageID: msg.ID, SubscriptionID: sub.ID, Kind: KindNotification, Protocol: sub.Protocol,
			Endpoint: sub.Endpoint, Subject: msg.Subject, Payload: body, NextAttempt: now, CreatedAt: now})
	}
	if err := tx.InsertDeliveries(ctx, ds); err != nil {
		return err
	}
	tx.AfterCommit(s.wake)
	return nil
}

// SignLink signs data for a link of the given purpose with the service's
// link key, and returns data and signature as one URL-safe token.
func (s *Service) SignLink(purpose string, data []byte) string {
	return base64.RawURLEncoding.EncodeToString(data) + "." + base64.RawURLEncoding.EncodeToString(s.linkMAC(purpose, data))
}

// CheckLink returns the data a SignLink token of the purpose carries, or
// false when the token is malformed or its signature does not fit.
func (s *Service) CheckLink(purpose, token string) ([]byte, bool) {
	i := len(token) - 1
	for i >= 0 && token[i] != '.' {
		i--
	}
	if i <= 0 {
		return nil, false
	}
	data, err := base64.RawURLEncoding.DecodeString(token[:i])
	if err != nil {
		return nil, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !hmac.Equal(sig, s.linkMAC(purpose, data)) {
		return nil, false
	}
	return data, true
}

func (s *Service) linkMAC(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, s.opts.LinkKey)
	m.Write([]byte("link\x00" + purpose + "\x00"))
	m.Write(data)
	return m.Sum(nil)
}
