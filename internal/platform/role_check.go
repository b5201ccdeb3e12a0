package platform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// A plan that would create a role asks the platform whether it exists.
// Plans are shown with pending approvals, read inside a store transaction,
// so the question must never hold that transaction for long: a platform
// that is down or hangs would otherwise make every listing wait on it, once
// per approval, while the store keeps its read open.
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

// roleCheck asks the platform rec whether role exists, within
// roleCheckTimeout, on the connection that is open; with dial set (outside
// a store transaction) it may open one within that time. An error says why
// it could not tell: the platform is left alone for roleCheckQuiet after it
// failed to answer.
func (s *Service) roleCheck(ctx context.Context, rec *store.PlatformRecord, role string, dial bool) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	q, quiet := s.quiet[rec.ID]
	c := s.conns[rec.ID]
	s.mu.Unlock()
	if quiet && now.Before(q.until) {
		return false, fmt.Errorf("it failed to answer at %s (%w); plans ask it again after %s",
			q.at.UTC().Format(time.RFC3339), q.err, q.until.UTC().Format(time.RFC3339))
	}
	if c == nil && !dial {
		return false, errNoConn
	}
	cctx, cancel := context.WithTimeout(ctx, roleCheckTimeout)
	defer cancel()
	var err error
	if c == nil {
		c, err = s.conn(cctx, rec)
	}
	var ok bool
	if err == nil {
		ok, err = c.RoleExists(cctx, role)
	}
	if err != nil && ctx.Err() == nil {
		if cctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", roleCheckTimeout)
		}
		s.mu.Lock()
		s.quiet[rec.ID] = quietMark{until: now.Add(roleCheckQuiet), at: now, err: err}
		s.mu.Unlock()
		return false, err
	}
	if err == nil {
		s.answered(rec.ID)
	}
	return ok, err
}

// answered ends a platform's quiet: it answered since.
func (s *Service) answered(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.quiet, id)
}
