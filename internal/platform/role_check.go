package platform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// A plan asks the platform what the store cannot tell: whether a role it
// would create exists, and what reaches the imported tables through the
// plan's role from beyond them (see askPlatform). Plans are shown with
// pending approvals, read inside a store transaction, so a question must
// never hold that transaction for long: a platform that is down or hangs
// would otherwise make every listing wait on it, once per approval, while
// the store keeps its read open.
const (
	// roleCheckTimeout bounds how long a plan waits for the answer (and,
	// for a plan made outside a transaction, for the connection).
	roleCheckTimeout = 2 * time.Second
	// roleCheckQuiet is how long plans leave a platform alone after it
	// failed to answer one: the rest of a listing, and the next listings,
	// say at once that they could not ask. A connection the applier opens,
	// or a privileges read of its that succeeds, ends the wait sooner.
	roleCheckQuiet = 30 * time.Second
)

// quietMark is a platform's failure to answer a plan's question.
type quietMark struct {
	until time.Time
	at    time.Time
	err   error
}

// errNoConn is a plan's question that was not asked inside a transaction
// because no connection to the platform was open: dialing may take as
// long as connectTimeout.
var errNoConn = errors.New("meshgate has no connection open to it")

// ask puts a plan's question to the platform rec, all of it within
// roleCheckTimeout, on the connection that is open; with dial set (outside
// a store transaction) it may open one within that time. An error says why
// it could not tell: the platform is left alone for roleCheckQuiet after it
// failed to answer. One that answered and refused a read (Refused: the
// platform user lacks a privilege) is asked again at the next plan: it
// does not keep a plan waiting.
func (s *Service) ask(ctx context.Context, rec *store.PlatformRecord, dial bool, question func(context.Context, Conn) error) error {
	now := s.clock.Now()
	s.mu.Lock()
	q, quiet := s.quiet[rec.ID]
	c := s.conns[rec.ID]
	s.mu.Unlock()
	if quiet && now.Before(q.until) {
		return fmt.Errorf("it failed to answer at %s (%w); plans ask it again after %s",
			q.at.UTC().Format(time.RFC3339), q.err, q.until.UTC().Format(time.RFC3339))
	}
	if c == nil && !dial {
		return errNoConn
	}
	cctx, cancel := context.WithTimeout(ctx, roleCheckTimeout)
	defer cancel()
	var err error
	if c == nil {
		c, err = s.conn(cctx, rec)
	}
	if err == nil {
		err = question(cctx, c)
	}
	if err != nil && ctx.Err() == nil && !IsRefused(err) {
		if cctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", roleCheckTimeout)
		}
		s.mu.Lock()
		s.quiet[rec.ID] = quietMark{until: now.Add(roleCheckQuiet), at: now, err: err}
		s.mu.Unlock()
		return err
	}
	if err == nil {
		s.answered(rec.ID)
	}
	return err
}

// answered ends a platform's quiet: it answered since.
func (s *Service) answered(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.quiet, id)
}
