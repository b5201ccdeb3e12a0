// Package asl parses, validates and steps state machines written in the
// Amazon States Language (https://states-language.net/spec.html), with the
// semantics of AWS Step Functions' JSONPath mode.
//
// The package is pure: it performs no I/O, reads no clock and draws no random
// numbers of its own. The durable engine drives it one step at a time and
// persists everything between steps:
//
//	m, err := asl.Parse(definition)       // *ValidationError lists every problem
//	out, _ := m.Enter(m.StartAt, input, ctx)
//	for {
//		switch out.Kind {
//		case asl.Goto:        out, _ = m.Enter(out.Next, out.Output, ctx)
//		case asl.RunTask:     // run out.Task, then m.Complete(name, input, result, ctx)
//		                      // or m.Fail(name, input, asl.StateError{...}, ctx)
//		case asl.RunBranches: // run each branch machine, then Complete or Fail
//		case asl.RunItems:    // run the processor per item, then Complete or Fail
//		case asl.Wait:        // wake at out.Until, then go to out.Next (or end)
//		case asl.RetryAfter:  // after out.Retry.Delay, Enter the same state again
//		case asl.Succeeded, asl.Failed: // the frame is over
//		}
//	}
//
// The engine's side of the contract:
//
//   - Before entering a Task state whose resource hands out a task token,
//     set ctx.Task so that Parameters can read $$.Task.Token.
//   - Report a task's timeout as States.Timeout and a missed heartbeat as
//     States.HeartbeatTimeout; report a failed branch or item with that
//     frame's own error and cause (Step Functions propagates them).
//   - Record out.Events, in order, and the events only the engine knows of
//     (ExecutionStarted, TaskScheduled, TaskSucceeded, WaitStateExited, ...).
//   - Check payloads with CheckPayloadSize where Step Functions limits them.
//   - Keep ctx.Attempts and ctx.State.RetryCount from RetryAfter outcomes and
//     reset them when the execution moves to another state.
//   - Give ctx.Rand to make the step deterministic: it is the only source of
//     the retry jitter and of States.UUID and States.MathRandom.
//
// Values are JSON value trees as ParseJSON produces them: map[string]any,
// []any, string, bool, nil, int64 and float64. The interpreter never modifies
// a value it is given; outputs may share structure with inputs, so callers
// must treat every value as immutable.
//
// Input and output processing follows the specification's order: InputPath,
// Parameters, (the task), ResultSelector, ResultPath, OutputPath. InputPath
// or OutputPath null gives {}; ResultPath null keeps the raw input. Errors
// raised by processing:
//
//   - InputPath, OutputPath, ItemsPath, SecondsPath, TimestampPath,
//     TimeoutSecondsPath, HeartbeatSecondsPath, ErrorPath and CausePath that
//     select nothing, or select a value of the wrong type, raise
//     States.Runtime, as do comparison paths of Choice rules that select
//     nothing. States.Runtime and States.DataLimitExceeded are terminal:
//     Retry and Catch never handle them, even when named explicitly.
//   - A path in a payload template (Parameters, ItemSelector, ResultSelector)
//     that selects nothing raises States.ParameterPathFailure, as the
//     specification prescribes (Step Functions itself reports
//     States.Runtime there).
//   - A ResultPath that cannot be applied to the raw input raises
//     States.ResultPathMatchFailure.
//   - Intrinsic function failures raise States.IntrinsicFailure (see the
//     intrinsic subpackage).
//
// Error matching in Retry and Catch: States.ALL matches any error name;
// States.TaskFailed matches any name but States.Timeout and
// States.HeartbeatTimeout; States.Timeout also matches
// States.HeartbeatTimeout. The first Retrier whose ErrorEquals matches
// decides; when its MaxAttempts are spent the Catchers are consulted in
// order.
//
// Choice rules: a comparison whose variable has another type than the
// operator expects is false; the Is... type tests are false for a variable
// that is not present (IsPresent: false is then true).
//
// Paths: definite paths ("$.a.b[0]", "$['a b']", with the specification's
// backslash escapes in dot notation) are read by this package; paths with
// wildcards, slices, unions, descent or filters by github.com/ohler55/ojg/jp; paths starting
// with "$$" read the context object (see Context.Object). Definite paths
// select one node; paths with wildcards, slices, unions, descent or filters
// select an array of the matched nodes, possibly empty; wildcards and
// descent visit an object's members in the order of their keys, as value
// trees keep no order of their own.
//
// A Task's TimeoutSeconds is 0 in TaskCall when the definition sets none;
// the engine picks the default (Step Functions: 99999999 seconds; the
// specification: 60).
//
// Not supported, and rejected by Parse: JSONata (QueryLanguage), variables
// (Assign), distributed Map (ItemReader, ItemBatcher, ResultWriter,
// tolerated failures, "Mode": "DISTRIBUTED").
package asl
