package asl_test

import (
	"fmt"
	"time"

	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// Example runs a machine to its end the way an engine drives the
// interpreter, with a task that fails once and is retried.
func Example() {
	m, err := asl.Parse([]byte(`{
	  "StartAt": "Lookup",
	  "States": {
	    "Lookup": {
	      "Type": "Task", "Resource": "meshgate:catalog:get-table",
	      "Parameters": {"database.$": "$.source.database", "table.$": "$.source.table"},
	      "ResultPath": "$.table",
	      "Retry": [{"ErrorEquals": ["Catalog.Busy"], "IntervalSeconds": 2}],
	      "Next": "IsPII"
	    },
	    "IsPII": {
	      "Type": "Choice",
	      "Choices": [{"Variable": "$.table.pii", "BooleanEquals": true, "Next": "NeedsApproval"}],
	      "Default": "Share"
	    },
	    "NeedsApproval": {"Type": "Pass", "Result": "approval", "ResultPath": "$.route", "End": true},
	    "Share": {"Type": "Pass", "Result": "share", "ResultPath": "$.route", "End": true}
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	input, _ := asl.ParseJSON([]byte(`{"source": {"database": "sales", "table": "orders"}}`))
	busy := true
	runTask := func(call *asl.TaskCall) (any, *asl.StateError) {
		if busy {
			busy = false
			return nil, &asl.StateError{Name: "Catalog.Busy", Cause: "try again"}
		}
		return map[string]any{"pii": true}, nil
	}

	ctx := &asl.Context{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	name, stateInput := m.StartAt, input
	out, _ := m.Enter(name, stateInput, ctx)
	for {
		fmt.Println(name, out.Kind, out.Events)
		switch out.Kind {
		case asl.RunTask:
			if result, serr := runTask(out.Task); serr != nil {
				out = m.Fail(name, stateInput, *serr, ctx)
			} else {
				out, _ = m.Complete(name, stateInput, result, ctx)
			}
			continue
		case asl.RetryAfter:
			fmt.Println("retry after", out.Retry.Delay)
			ctx.Attempts, ctx.State.RetryCount = out.Retry.Attempts, out.Retry.RetryCount
			out, _ = m.Enter(name, stateInput, ctx)
			continue
		case asl.Goto:
			name, stateInput = out.Next, out.Output
			ctx.Attempts, ctx.State.RetryCount = nil, 0
			out, _ = m.Enter(name, stateInput, ctx)
			continue
		case asl.Succeeded:
			b, _ := asl.MarshalJSON(out.Output)
			fmt.Println(string(b))
		case asl.Failed:
			fmt.Println(out.Error, out.Cause)
		}
		return
	}
	// Output:
	// Lookup RunTask [TaskStateEntered]
	// Lookup RetryAfter []
	// retry after 2s
	// Lookup RunTask [TaskStateEntered]
	// Lookup Goto [TaskStateExited]
	// IsPII Goto [ChoiceStateEntered ChoiceStateExited]
	// NeedsApproval Succeeded [PassStateEntered PassStateExited]
	// {"route":"approval","source":{"database":"sales","table":"orders"},"table":{"pii":true}}
}

// ExampleParse shows the problems a definition is rejected with.
func ExampleParse() {
	_, err := asl.Parse([]byte(`{
	  "StartAt": "Start",
	  "States": {
	    "Start": {"Type": "Task", "Resource": "r", "Next": "Missing",
	      "Retry": [{"ErrorEquals": ["States.ALL", "Other"]}]},
	    "Orphan": {"Type": "Succeed"}
	  }
	}`))
	fmt.Println(err)
	// Output:
	// invalid state machine definition: 3 problems:
	// - state "Orphan": unreachable from "Start"
	// - state "Start": field "Next": unknown state "Missing"
	// - state "Start": field "Retry[0].ErrorEquals": "States.ALL" must appear alone in "ErrorEquals"
}
