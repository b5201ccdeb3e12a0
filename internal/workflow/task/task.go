// Package task holds the engine's built-in task resources: a counter that
// runs inside the transition's transaction (exactly once) and an HTTP task
// that leaves through the outbox (at least once).
package task

import (
	"context"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/workflow"
)

// Resource URIs of the built-in tasks.
const (
	// CounterIncrement adds Delta (default 1) to the counter Name and
	// returns {"Name": ..., "Value": new value}. It runs in the transition's
	// transaction, so each successful attempt counts exactly once: useful
	// for sequence numbers and quotas, and to check exactly-once delivery.
	// A sum past the range of a 64-bit integer fails the task with
	// Counter.Overflow and leaves the counter as it was.
	CounterIncrement = "meshgate:counter:increment"
	// HTTPInvoke calls an HTTP(S) endpoint; see HTTP.
	HTTPInvoke = "meshgate:http:invoke"
)

var once sync.Once

// RegisterBuiltins registers the built-in resources in
// workflow.DefaultRegistry, once per process.
func RegisterBuiltins() {
	once.Do(func() { Register(workflow.DefaultRegistry, HTTPOptions{}) })
}

// Register adds the built-in resources to r.
func Register(r *workflow.Registry, opts HTTPOptions) {
	r.RegisterAtomic(CounterIncrement, Counter)
	r.RegisterExternal(HTTPInvoke, NewHTTP(opts).Invoke)
	r.RedactParameters(HTTPInvoke, mesh.RedactHTTPParameters)
}

// Counter is the CounterIncrement resource.
func Counter(ctx context.Context, tx store.Tx, input any) (any, error) {
	in, _ := input.(map[string]any)
	name, _ := in["Name"].(string)
	if name == "" || len(name) > mesh.MaxNameLen {
		return nil, workflow.Errorf("Counter.InvalidInput", "Name must be a string of 1 to %d characters", mesh.MaxNameLen)
	}
	delta := int64(1)
	if d, ok := in["Delta"]; ok {
		n, ok := d.(int64)
		if !ok {
			return nil, workflow.Errorf("Counter.InvalidInput", "Delta must be an integer")
		}
		delta = n
	}
	v, err := tx.AddWorkflowCounter(ctx, name, delta)
	if mesh.IsCode(err, mesh.EINVALID) {
		// the store refused the sum before writing it: the transaction goes on
		return nil, workflow.Errorf("Counter.Overflow", "adding %d to counter %s would pass the range of a 64-bit integer", delta, name)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"Name": name, "Value": v}, nil
}
