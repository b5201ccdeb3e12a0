package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/meshgate/meshgate/internal/store"
)

// SessionReaper is a background loop that deletes expired and idle sessions
// once an interval, so the sessions table does not grow without bound.
type SessionReaper struct {
	svc      *Service
	interval time.Duration
	log      *slog.Logger
}

// NewSessionReaper returns a reaper for svc's sessions running every interval.
func NewSessionReaper(svc *Service, interval time.Duration, log *slog.Logger) *SessionReaper {
	return &SessionReaper{svc: svc, interval: interval, log: log}
}

// Run reaps until ctx ends.
func (r *SessionReaper) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			n, err := r.svc.ReapSessions(ctx)
			if err != nil {
				r.log.Error("reap sessions", "err", err)
			} else if n > 0 {
				r.log.Debug("reaped sessions", "count", n)
			}
		}
	}
}

// ReapSessions deletes the sessions that have expired or been idle too long,
// and returns how many. It is logged, not audited: a session ends when its
// time is up, whether or not its row is gone, and every sign-in and sign-out
// is audited already. The unfinished identity-provider sign-ins and the
// marks of exchanged ID tokens it deletes are bookkeeping of sign-ins too.
func (s *Service) ReapSessions(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var n int
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if n, err = tx.DeleteExpiredSessions(ctx, now, now.Add(-s.opts.SessionIdle)); err != nil {
			return err
		}
		// Sign-ins through identity providers never finished, and the
		// marks of exchanged ID tokens once those expired.
		if _, err := tx.DeleteExpiredOIDCLogins(ctx, now); err != nil {
			return err
		}
		_, err = tx.DeleteExpiredIDTokenMarks(ctx, now)
		return err
	})
	return n, err
}
