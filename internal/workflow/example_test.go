package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/workflow"
)

// A package registers its task resources, then runs state machines that
// name them. Drain steps the engine in place of the server's loops.
func ExampleEngine() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	st, _ := sqlite.Open(ctx, filepath.Join(dir, "m.db"), sqlite.Options{})
	defer st.Close()

	reg := workflow.NewRegistry()
	reg.Register("example:greet", func(ctx context.Context, tx store.Tx, input any) (any, error) {
		in := input.(map[string]any)
		if in["who"] == "" {
			return nil, workflow.Errorf("Greet.NoOne", "nobody to greet")
		}
		return fmt.Sprintf("hello, %s", in["who"]), nil
	})
	e := workflow.New(st, workflow.Options{Registry: reg})
	_, err := e.CreateStateMachine(ctx, workflow.StateMachineInput{Name: "greet", Definition: json.RawMessage(`{
		"StartAt": "Greet",
		"States": {"Greet": {"Type": "Task", "Resource": "example:greet", "Parameters": {"who.$": "$.name"}, "End": true}}}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _, _ := e.StartExecution(ctx, workflow.StartInput{StateMachine: "greet", Input: json.RawMessage(`{"name": "mesh"}`)})
	e.Drain(ctx)
	x, _ = e.FindExecution(ctx, x.ID)
	fmt.Println(x.Status, string(x.Output))
	// Output: SUCCEEDED "hello, mesh"
}
