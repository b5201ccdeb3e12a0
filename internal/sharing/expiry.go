package sharing

import (
	"context"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// expiryBatch bounds the requests one sweep transaction ends.
const expiryBatch = 100

// ExpireOnce ends every shared request whose time is up: its grant and,
// when it was the last, its share go, and it shows EXPIRED. It returns how
// many it ended. Run calls it every ExpiryInterval; tests call it with a
// fake clock.
func (s *Service) ExpireOnce(ctx context.Context) (int, error) {
	ctx = s.systemCtx(ctx)
	total := 0
	for {
		n, ended := 0, 0
		err := s.update(ctx, func(tx store.Tx) error {
			n, ended = 0, 0
			due, err := tx.FindAccessRequests(ctx, store.RequestFilter{Status: mesh.RequestShared,
				ExpiresBefore: s.clock.Now(), Limit: expiryBatch})
			if err != nil {
				return err
			}
			for _, r := range due {
				err := s.endShared(ctx, tx, r, mesh.RequestExpired, s.system.Principal(), expiredWhy(r))
				if mesh.IsCode(err, mesh.ECONFLICT) {
					continue // revoked, or expired by another replica, meanwhile
				}
				if err != nil {
					return err
				}
				ended++
			}
			n = len(due)
			return nil
		})
		total += ended
		if err != nil {
			return total, err
		}
		if n < expiryBatch {
			return total, s.warnExpiring(ctx)
		}
	}
}

// Expiry returns the loop that ends time-bound access (a server.Background).
func (s *Service) Expiry() *Expiry { return &Expiry{s: s} }

// Expiry ends time-bound access until its context ends.
type Expiry struct{ s *Service }

// Run sweeps every ExpiryInterval until ctx ends.
func (e *Expiry) Run(ctx context.Context) error {
	t := time.NewTicker(e.s.cfg.ExpiryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := e.s.ExpireOnce(ctx); err != nil && ctx.Err() == nil {
				e.s.log.Error("sharing: expire time-bound access", "err", err)
			}
		}
	}
}

// expiredWhy is the cause of a time-bound request's end.
func expiredWhy(r *mesh.AccessRequest) string {
	return "its duration of " + time.Duration(r.Duration).String() + " ended"
}
