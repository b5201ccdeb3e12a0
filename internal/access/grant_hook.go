package access

import (
	"context"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// GrantHook runs inside the transaction of every change to a grant: its
// creation, a change of its permissions or status, and its deletion
// (deleted set). Data platforms write their outbox entries here, so that a
// grant's change and the work of enforcing it commit or roll back together.
// An error rolls the change back.
type GrantHook func(ctx context.Context, tx store.Tx, g *mesh.Grant, deleted bool) error

// OnGrantChange adds a hook run inside the transaction of each grant's
// change. Register hooks before the service is used.
func (s *Service) OnGrantChange(h GrantHook) { s.grantHooks = append(s.grantHooks, h) }

// grantChanged runs the grant hooks on g.
func (s *Service) grantChanged(ctx context.Context, tx store.Tx, g *mesh.Grant, deleted bool) error {
	for _, h := range s.grantHooks {
		if err := h(ctx, tx, g, deleted); err != nil {
			return err
		}
	}
	return nil
}
