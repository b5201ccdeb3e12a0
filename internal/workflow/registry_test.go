package workflow_test

import (
	"context"
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

func TestRegistry(t *testing.T) {
	r := workflow.NewRegistry()
	noop := func(context.Context, store.Tx, any) (any, error) { return nil, nil }
	r.Register("a:b", noop)
	r.RegisterExternal("a:b", func(context.Context, any, workflow.TaskMeta) (any, error) { return nil, nil }) // replaces
	r.RegisterAtomic("c:d", noop)
	tests := []struct {
		resource string
		want     bool
	}{
		{"a:b", true},
		{"a:b.waitForTaskToken", true},
		{"c:d", true},
		{"c:d.waitForTaskToken", true},
		{"e:f", false},
		{".waitForTaskToken", false},
	}
	for _, tt := range tests {
		if got := r.Has(tt.resource); got != tt.want {
			t.Errorf("Has(%q): got %v, want %v", tt.resource, got, tt.want)
		}
	}
	if got, want := r.Resources(), []string{"a:b", "c:d"}; !slices.Equal(got, want) {
		t.Errorf("Resources: got %v, want %v", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("registering a name with the callback suffix: got no panic, want one")
		}
	}()
	r.Register("x.waitForTaskToken", noop)
}
