package notify

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// DefaultRetention is how long finished deliveries and the built-in
// mailbox's messages are kept unless told otherwise: long enough to look
// into a month's deliveries and retry its dead letters.
const DefaultRetention = 30 * 24 * time.Hour

// pruneBatch bounds the rows one transaction deletes, so that pruning never
// holds the store's writer for long.
const pruneBatch = 1000

// pruneEvery is how often the pruner runs (and once at start).
const pruneEvery = time.Hour

// Pruned counts what one prune deleted.
type Pruned struct {
	Deliveries int
	Mailbox    int
}

// Prune deletes the deliveries sent or dead-lettered longer than the
// retention ago and the mailbox's messages stored before then, a batch per
// transaction, and returns how many. Pending deliveries (retries among
// them) stay, however old; a dead letter an admin retries starts its
// retention again once it finishes. Several processes may prune one store
// at once: each batch deletes rows the others are not deleting. It does
// nothing when the retention is negative (kept forever). It is logged, not
// audited: deliveries and mailbox messages are the outbox's own records of
// messages sent, not changes anyone made, and their retention is configured.
//
// The mailbox is where mail goes while no SMTP server is configured, so
// its messages, which keep their links (a mail server would too), go with
// the same retention as the deliveries that stored them.
func (s *Service) Prune(ctx context.Context) (Pruned, error) {
	var out Pruned
	if s.opts.Retention < 0 {
		return out, nil
	}
	before := s.clock.Now().Add(-s.opts.Retention)
	for _, p := range []struct {
		n     *int
		prune func(store.Tx) (int, error)
	}{
		{&out.Deliveries, func(tx store.Tx) (int, error) { return tx.PruneDeliveries(ctx, before, pruneBatch) }},
		{&out.Mailbox, func(tx store.Tx) (int, error) { return tx.PruneMailbox(ctx, before, pruneBatch) }},
	} {
		for ctx.Err() == nil {
			var n int
			err := s.store.Update(ctx, func(tx store.Tx) error {
				var err error
				n, err = p.prune(tx)
				return err
			})
			if err != nil {
				return out, err
			}
			*p.n += n
			if n < pruneBatch {
				break
			}
		}
	}
	return out, ctx.Err()
}

// Pruner returns the retention loop (a server background loop).
func (s *Service) Pruner() *Pruner { return &Pruner{s: s} }

// Pruner prunes the outbox and the mailbox once an hour, and at start,
// until its context ends.
type Pruner struct{ s *Service }

// Run prunes until ctx ends.
func (p *Pruner) Run(ctx context.Context) error {
	s := p.s
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if n, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: prune deliveries and mailbox", "err", err)
		} else if n.Deliveries > 0 || n.Mailbox > 0 {
			s.log.Info("notify: deleted deliveries and mailbox messages past the retention",
				"deliveries", n.Deliveries, "mailbox", n.Mailbox, "retention", s.opts.Retention.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
