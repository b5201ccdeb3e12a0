package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/store"
)

// listening is a store with the optional AccessListener capability.
type listening struct{ store.Store }

func (listening) ListenAccess(context.Context, func()) error { return nil }

// wrapper hides the store it wraps, as the server's instrumented store does.
type wrapper struct{ store.Store }

func (w wrapper) Unwrap() store.Store { return w.Store }

func TestAsSeesThroughWrappers(t *testing.T) {
	tests := []struct {
		name string
		s    store.Store
		want bool
	}{
		{"the store itself", listening{}, true},
		{"wrapped once", wrapper{listening{}}, true},
		{"wrapped twice", wrapper{wrapper{listening{}}}, true},
		{"without the capability", wrapper{wrapper{}}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if _, got := store.As[store.AccessListener](tt.s); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// abortingStore is a Store whose Update fails transiently the first
// aborts times, and then with final.
type abortingStore struct {
	store.Store
	aborts, runs int
	final        error
}

var errAborted = errors.New("aborted")

func (s *abortingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.runs++
	if s.aborts > 0 {
		s.aborts--
		return errAborted
	}
	return s.final
}

func (s *abortingStore) Transient(err error) bool { return errors.Is(err, errAborted) }

// TestUpdateRetrying: an Update the store aborts runs again, five runs at
// most; any other outcome is returned at once.
func TestUpdateRetrying(t *testing.T) {
	errOther := errors.New("other")
	for _, c := range []struct {
		aborts int
		final  error
		runs   int
		want   error
	}{
		{0, nil, 1, nil},
		{2, nil, 3, nil},
		{0, errOther, 1, errOther},
		{1, errOther, 2, errOther},
		{9, nil, 5, errAborted},
	} {
		s := &abortingStore{aborts: c.aborts, final: c.final}
		err := store.UpdateRetrying(context.Background(), s, func(store.Tx) error { return nil })
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) || s.runs != c.runs {
			t.Errorf("%d aborts, then %v: got %v after %d runs, want %v after %d", c.aborts, c.final, err, s.runs, c.want, c.runs)
		}
	}
}
