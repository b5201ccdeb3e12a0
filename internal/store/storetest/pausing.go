package storetest

import (
	"context"

	"github.com/meshgate/meshgate/internal/store"
)

// Pausing is a store whose write transactions, their work done, wait
// before they commit: each sends on Paused and waits until Release is
// closed. A test orders another transaction against one that holds its
// locks by starting it while this one waits.
type Pausing struct {
	store.Store
	Paused  chan<- struct{}
	Release <-chan struct{}
}

func (s *Pausing) Unwrap() store.Store { return s.Store }

func (s *Pausing) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		s.Paused <- struct{}{}
		<-s.Release
		return nil
	})
}
