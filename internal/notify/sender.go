package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// job is a leased delivery ready for its channel; failed is set when it
// cannot be delivered at all (its subscription ended).
type job struct {
	d      *store.Delivery
	env    *Envelope
	failed error
}

// claim leases up to limit due deliveries and builds their envelopes in
// the same transaction.
func (s *Service) claim(ctx context.Context, limit int, skip []string) ([]*job, error) {
	now := s.clock.Now()
	var jobs []*job
	err := s.store.Update(ctx, func(tx store.Tx) error {
		jobs = jobs[:0]
		ds, err := tx.ClaimDeliveries(ctx, s.opts.Owner, now, now.Add(s.opts.Lease), limit, skip)
		if err != nil {
			return err
		}
		subs := map[int64]*store.Subscription{}
		for _, d := range ds {
			j := &job{d: d}
			if err := s.prepare(ctx, tx, j, subs, now); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return jobs, nil
}

// prepare builds j's envelope from what tx holds, or says why it cannot go
// (j.failed): its subscription ended, its recipient opted out. subs keeps
// the subscriptions read, by id.
func (s *Service) prepare(ctx context.Context, tx store.Tx, j *job, subs map[int64]*store.Subscription, now time.Time) error {
	d := j.d
	var sub *store.Subscription
	if d.SubscriptionID != 0 {
		if sub = subs[d.SubscriptionID]; sub == nil {
			var err error
			sub, err = tx.FindSubscription(ctx, d.SubscriptionID)
			if mesh.IsCode(err, mesh.ENOTFOUND) {
				j.failed = errors.New("the subscription no longer exists")
				return nil
			}
			if err != nil {
				return err
			}
			subs[d.SubscriptionID] = sub
		}
	}
	if d.Kind == KindDirect {
		// opted out after the message was queued
		out, err := tx.IsOptedOut(ctx, d.Endpoint)
		if err != nil {
			return err
		}
		if out {
			j.failed = errors.New("the recipient opted out of direct mail")
			return nil
		}
	}
	j.env, j.failed = s.envelope(d, sub, now)
	return nil
}

// refresh prepares a job that waited for its endpoint's slot again from
// what the store holds now: its subscription may have ended or its
// recipient opted out meanwhile, which nothing delivered afterwards may
// ignore, and its envelope's time, which webhooks sign, is now.
func (s *Service) refresh(ctx context.Context, j *job) error {
	if j.failed != nil {
		return nil
	}
	return s.store.View(ctx, func(tx store.Tx) error {
		return s.prepare(ctx, tx, j, map[int64]*store.Subscription{}, s.clock.Now())
	})
}

// envelope decodes a delivery for its channel, or says why it cannot go.
func (s *Service) envelope(d *store.Delivery, sub *store.Subscription, now time.Time) (*Envelope, error) {
	var p payload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode the stored message: %w", err)
	}
	env := &Envelope{MessageID: d.MessageID, Kind: d.Kind, Protocol: d.Protocol, Endpoint: d.Endpoint,
		Message: p.Message, Timestamp: now, Subscription: sub}
	if sub != nil {
		env.AccountID, env.TopicName = sub.AccountID, DefaultTopicName
		env.UnsubscribeURL = s.unsubscribeURL(sub.ID)
		switch {
		case sub.Status == store.SubscriptionUnsubscribed:
			return nil, errors.New("the subscription was unsubscribed before delivery")
		case d.Kind == KindConfirmation && sub.Status != store.SubscriptionPending:
			return nil, fmt.Errorf("the subscription is %s: no confirmation needed", sub.Status)
		case d.Kind == KindConfirmation && !now.Before(sub.TokenExpires):
			return nil, errors.New("the confirmation link expired before it could be delivered")
		case d.Kind == KindNotification && sub.Status != store.SubscriptionConfirmed:
			return nil, fmt.Errorf("the subscription is %s", sub.Status)
		}
	} else {
		env.UnsubscribeURL = s.optOutURL(d.Endpoint)
	}
	if err := inClear(d); err != nil {
		return nil, err
	}
	if d.Kind == KindConfirmation {
		env.Token, env.ConfirmURL = p.Token, s.confirmURL(p.Token)
	}
	return env, nil
}

// inClear refuses a delivery of protocol https whose endpoint is not an
// https:// URL. Subscribe did not always refuse such endpoints, and the
// subscriptions stored then were sent over plain HTTP, approval links and
// signed bodies included, to receivers their admins were told were HTTPS.
// The check is made here, at every attempt, rather than once over the
// stored subscriptions, so that no such delivery goes however it came to be
// queued. An http subscription whose endpoint is https:// is sent as it is:
// over TLS, more than it asked for.
func inClear(d *store.Delivery) error {
	if d.Protocol != ProtocolHTTPS {
		return nil
	}
	if u, err := url.Parse(d.Endpoint); err == nil && u.Scheme == ProtocolHTTPS {
		return nil
	}
	return fmt.Errorf("subscription %d is of protocol https but its endpoint %s is not an https:// URL (it was stored before endpoints had to have their protocol's scheme): "+
		"not sent over plain HTTP; subscribe the endpoint again with its https:// URL, then unsubscribe subscription %d",
		d.SubscriptionID, mesh.RedactURL(d.Endpoint), d.SubscriptionID)
}

// attempt delivers one job and returns its outcome.
func (s *Service) attempt(ctx context.Context, j *job) store.DeliveryResult {
	r := store.DeliveryResult{ID: j.d.ID, Protocol: j.d.Protocol}
	err := j.failed
	permanent := err != nil
	if err == nil {
		ch := s.opts.Channels[j.d.Protocol]
		if ch == nil {
			err, permanent = fmt.Errorf("no channel delivers %s", j.d.Protocol), true
		} else {
			tctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
			err = ch.Deliver(tctx, j.env)
			cancel()
			permanent = IsPermanent(err)
		}
	}
	r.At = s.clock.Now()
	switch {
	case err == nil:
		r.Status = store.DeliverySent
		if m := j.env.Stored; m != nil {
			m.MessageID, m.CreatedAt = j.d.MessageID, r.At
			r.Mailbox = m
		}
		return r
	case permanent:
		r.Status, r.Error = store.DeliveryFailed, truncate(err.Error())
		return r
	}
	r.Error = truncate(err.Error())
	if delay, ok := s.policy.Next(j.d.Attempts + 1); ok {
		r.Status, r.NextAttempt = store.DeliveryPending, r.At.Add(delay)
	} else {
		r.Status = store.DeliveryFailed
	}
	return r
}

// truncate bounds a failed attempt's error text to 1000 bytes, cut on a
// character's boundary and holding nothing that is not UTF-8: PostgreSQL
// refuses such text, which failed the whole batch of results, so that its
// deliveries were sent again and again, their attempts never counted.
func truncate(s string) string {
	if len(s) > 1000 {
		s = s[:1000]
	}
	return strings.ToValidUTF8(s, "")
}

// record stores results and counts them; a result for a lease this process
// lost is skipped (another process has the delivery now).
func (s *Service) record(ctx context.Context, rs []store.DeliveryResult) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		done, err := tx.FinishDeliveries(ctx, s.opts.Owner, rs)
		if err != nil {
			return err
		}
		s.counters.count(tx, rs, done)
		return nil
	})
}

// SendOnce delivers every due delivery it can lease now (up to
// Concurrency), concurrently, records the outcomes and returns how many it
// tried. Tests drive delivery with it; the server runs the Sender loop.
func (s *Service) SendOnce(ctx context.Context) (int, error) {
	jobs, err := s.claim(ctx, s.opts.Concurrency, nil)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	rs := make([]store.DeliveryResult, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { rs[i] = s.attempt(ctx, j) })
	}
	wg.Wait()
	return len(jobs), s.record(ctx, rs)
}

// Sender returns the delivery loop (a server background loop).
func (s *Service) Sender() *Sender { return &Sender{s: s} }

// Sender delivers queued messages until its context ends.
type Sender struct{ s *Service }

// purgeEvery is how often the sender removes offboarded accounts' topics
// whose queues have drained.
const purgeEvery = time.Minute

// Run keeps up to Concurrency deliveries in flight, at most PerEndpoint of
// them to one endpoint, so that a slow or hung receiver holds its share of
// the slots and the others go on. Outcomes are recorded in group commits. A
// delivery in flight when the process stops keeps its lease until it
// expires, then goes again: at least once.
func (snd *Sender) Run(ctx context.Context) error {
	s := snd.s
	if s.store.Dialect() == "sqlite" {
		// one process per SQLite store: leases left by a previous run
		// belong to no one alive, so their deliveries go again at once
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.ReleaseDeliveryLeases(ctx) }); err != nil {
			s.log.Error("notify: release leases", "err", err)
		}
	}
	results := make(chan store.DeliveryResult, s.opts.Concurrency)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		s.recorder(results)
	}()
	f := &fairness{s: s, ctx: ctx, results: results, running: map[string]int{}, waiting: map[string][]*job{}}
	defer func() {
		f.wg.Wait()
		close(results)
		<-recorded
	}()
	lastPurge := time.Time{}
	for {
		if time.Since(lastPurge) > purgeEvery {
			lastPurge = time.Now()
			s.purge(ctx)
		}
		free, skip := f.room()
		var jobs []*job
		if free > 0 {
			var err error
			jobs, err = s.claim(ctx, free, skip)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				s.log.Error("notify sender", "err", err)
			}
			f.start(jobs)
		}
		if len(jobs) > 0 && len(jobs) == free {
			continue
		}
		t := time.NewTimer(s.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// fairness shares the sender's slots among endpoints. A claimed job whose
// endpoint has its PerEndpoint share running waits, leased, in memory, and
// takes the slot of the next job to that endpoint that ends; while an
// endpoint has its share running or jobs waiting, claims skip it.
type fairness struct {
	s       *Service
	ctx     context.Context
	results chan<- store.DeliveryResult
	wg      sync.WaitGroup

	mu      sync.Mutex
	total   int               // jobs running
	running map[string]int    // jobs running by endpoint
	waiting map[string][]*job // jobs waiting for their endpoint
}

// room returns how many jobs a claim may take and the endpoints it must skip.
func (f *fairness) room() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var skip []string
	for ep, n := range f.running {
		if n >= f.s.opts.PerEndpoint || len(f.waiting[ep]) > 0 {
			skip = append(skip, ep)
		}
	}
	return f.s.opts.Concurrency - f.total, skip
}

// start runs claimed jobs, or queues those over their endpoint's share.
func (f *fairness) start(jobs []*job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range jobs {
		ep := j.d.Endpoint
		if f.running[ep] >= f.s.opts.PerEndpoint {
			f.waiting[ep] = append(f.waiting[ep], j)
			continue
		}
		f.running[ep]++
		f.total++
		f.wg.Go(func() { f.run(ep, j) })
	}
}

// run delivers j, then the jobs waiting for the same endpoint in turn,
// each prepared again from what the store holds by then.
func (f *fairness) run(ep string, j *job) {
	s := f.s
	for waited := false; j != nil; j, waited = f.next(ep), true {
		if waited {
			if err := s.refresh(f.ctx, j); err != nil {
				continue // not attempted: its lease expires and it goes again
			}
		}
		r := s.attempt(f.ctx, j)
		if f.ctx.Err() == nil || r.Status == store.DeliverySent {
			f.results <- r
		} // else stopping: the lease expires and the delivery goes again
	}
	s.wake()
}

// next returns the next waiting job of ep, or frees ep's slot. A job whose
// lease would end before an attempt could (Timeout) is dropped: its lease
// expires and it is claimed again, by this process or another.
func (f *fairness) next(ep string) *job {
	f.mu.Lock()
	defer f.mu.Unlock()
	for q := f.waiting[ep]; len(q) > 0 && f.ctx.Err() == nil; q = f.waiting[ep] {
		j := q[0]
		if f.waiting[ep] = q[1:]; len(f.waiting[ep]) == 0 {
			delete(f.waiting, ep)
		}
		if j.d.LeaseUntil.Sub(f.s.clock.Now()) > f.s.opts.Timeout {
			return j
		}
	}
	delete(f.waiting, ep)
	if f.running[ep]--; f.running[ep] == 0 {
		delete(f.running, ep)
	}
	f.total--
	return nil
}

// recorder writes outcomes as they come, as many per transaction as have
// arrived, until results is closed. It uses its own context so that the
// outcomes of deliveries made before a stop are still recorded.
func (s *Service) recorder(results <-chan store.DeliveryResult) {
	ctx := context.Background()
	for r := range results {
		batch := []store.DeliveryResult{r}
	drain:
		for len(batch) < 1024 {
			select {
			case r, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if err := s.record(ctx, batch); err != nil {
			// the leases expire and these deliveries go again
			s.log.Error("notify: record delivery results", "n", len(batch), "err", err)
		}
	}
}

func (s *Service) purge(ctx context.Context) {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PurgeDeletedTopics(ctx)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("notify: remove offboarded topics", "err", err)
	}
}
