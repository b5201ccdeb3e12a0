package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/client"
)

// WorkflowDefinition is the short execution the workflow load starts:
// Pass → Choice → an in-transaction built-in task → Succeed.
const WorkflowDefinition = `{
  "Comment": "meshgate load workflow: a short execution of built-in states",
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "counter": "load"}, "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": "Count"}], "Default": "Done"},
    "Count": {"Type": "Task", "Resource": "meshgate:counter:increment", "Parameters": {"Name.$": "$.counter"}, "ResultPath": "$.count", "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

// WorkflowOptions configure a workflow load.
type WorkflowOptions struct {
	// Client calls the server; its HTTP client should keep Concurrency
	// connections alive (see NewHTTPClient).
	Client *client.Client
	// Executions to start, Concurrency of the starts.
	Executions  int
	Concurrency int
	// Definition overrides WorkflowDefinition.
	Definition string
	// Timeout bounds the wait for every execution to end.
	Timeout time.Duration
}

// WorkflowResult is what a workflow load measured.
type WorkflowResult struct {
	StateMachine string        `json:"state_machine"`
	Executions   int           `json:"executions"`
	Succeeded    int           `json:"succeeded"`
	Other        int           `json:"other"`
	StartErrors  int           `json:"start_errors"`
	StatesPerRun int           `json:"states_per_execution"`
	Transitions  int           `json:"transitions"`
	StartTime    time.Duration `json:"start_ns"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	// TransitionsPerSecond is states entered per second, from the first
	// start until every execution ended.
	TransitionsPerSecond float64 `json:"transitions_per_second"`
	ExecutionsPerSecond  float64 `json:"executions_per_second"`
}

// NewHTTPClient returns an HTTP client that keeps conns connections to the server.
func NewHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = conns*2, conns*2
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// Workflow creates a state machine, starts the executions through the API
// with the given concurrency and waits until every one has ended.
func Workflow(ctx context.Context, o WorkflowOptions) (*WorkflowResult, error) {
	if o.Executions <= 0 || o.Concurrency <= 0 {
		return nil, fmt.Errorf("executions and concurrency must be positive")
	}
	if o.Definition == "" {
		o.Definition = WorkflowDefinition
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	name := fmt.Sprintf("load-%d", time.Now().UnixNano())
	if _, err := o.Client.CreateStateMachine(ctx, name, "meshgate load workflow", json.RawMessage(o.Definition)); err != nil {
		return nil, fmt.Errorf("create state machine: %w", err)
	}
	res := &WorkflowResult{StateMachine: name, Executions: o.Executions}
	var next, startErrs atomic.Int64
	var firstID atomic.Value
	var wg sync.WaitGroup
	begin := time.Now()
	for range o.Concurrency {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(o.Executions) || ctx.Err() != nil {
					return
				}
				x, err := o.Client.StartExecution(ctx, client.StartExecutionInput{
					StateMachine: name, Input: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))})
				if err != nil {
					startErrs.Add(1)
					continue
				}
				firstID.CompareAndSwap(nil, x.ID)
			}
		})
	}
	wg.Wait()
	res.StartTime = time.Since(begin)
	res.StartErrors = int(startErrs.Load())
	deadline := time.Now().Add(o.Timeout)
	for {
		running, _, err := o.Client.Executions(ctx, client.ExecutionFilter{StateMachine: name, Status: "RUNNING", Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("poll executions: %w", err)
		}
		if len(running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("executions still running after %s", o.Timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res.Elapsed = time.Since(begin)
	succeeded, err := count(ctx, o.Client, name, "SUCCEEDED")
	if err != nil {
		return nil, err
	}
	res.Succeeded = succeeded
	res.Other = o.Executions - res.StartErrors - succeeded
	if id, ok := firstID.Load().(string); ok {
		evs, err := o.Client.History(ctx, id, 0)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		for _, e := range evs {
			if strings.HasSuffix(e.Type, "StateEntered") {
				res.StatesPerRun++
			}
		}
	}
	res.Transitions = res.StatesPerRun * (o.Executions - res.StartErrors)
	res.TransitionsPerSecond = float64(res.Transitions) / res.Elapsed.Seconds()
	res.ExecutionsPerSecond = float64(o.Executions-res.StartErrors) / res.Elapsed.Seconds()
	return res, nil
}

func count(ctx context.Context, c *client.Client, sm, status string) (int, error) {
	n, token := 0, ""
	for {
		xs, next, err := c.Executions(ctx, client.ExecutionFilter{StateMachine: sm, Status: status, Limit: 1000, PageToken: token})
		if err != nil {
			return 0, fmt.Errorf("count executions: %w", err)
		}
		n += len(xs)
		if next == "" {
			return n, nil
		}
		token = next
	}
}
