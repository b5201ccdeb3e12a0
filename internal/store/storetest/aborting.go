package storetest

import (
	"context"
	"errors"

	"github.com/meshgate/meshgate/internal/store"
)

// ErrAborted is the error an Aborting store fails a commit with.
var ErrAborted = errors.New("aborted to break a deadlock")

// Aborting is a store that runs its next Aborts write transactions whole
// and then fails their commits with ErrAborted, which it calls transient,
// as PostgreSQL does to break a deadlock: what retries on transient
// errors runs again, and only what committed counts.
type Aborting struct {
	store.Store
	Aborts int
}

func (s *Aborting) Unwrap() store.Store { return s.Store }

func (s *Aborting) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.Aborts > 0 {
			s.Aborts--
			return ErrAborted
		}
		return nil
	})
}

func (s *Aborting) Transient(err error) bool {
	return errors.Is(err, ErrAborted) || s.Store.Transient(err)
}
