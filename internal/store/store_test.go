package store_test

import (
	"context"
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
