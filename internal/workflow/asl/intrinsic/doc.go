// Package intrinsic parses and evaluates the intrinsic functions of the
// Amazon States Language: the "States.…" calls a Payload Template may use
// in a field whose name ends in ".$", such as
//
//	"greeting.$": "States.Format('Hello, {}!', $.name)"
//
// It implements every function of the specification (states-language.net,
// appendix B) and of the AWS Step Functions developer guide: States.Format,
// States.StringToJson, States.JsonToString, States.Array,
// States.ArrayPartition, States.ArrayContains, States.ArrayRange,
// States.ArrayGetItem, States.ArrayLength, States.ArrayUnique,
// States.Base64Encode, States.Base64Decode, States.Hash, States.JsonMerge,
// States.MathRandom, States.MathAdd, States.StringSplit and States.UUID.
//
// The package is pure: it performs no I/O and knows nothing of JSONPath.
// Parse checks an expression completely (syntax, function names, argument
// counts, the types and values of literal arguments, the nesting limit)
// so a state machine definition can be validated when it is saved. Eval
// computes the value, asking the caller to resolve each path argument.
//
// # Syntax
//
// An argument is a string in single quotes, a number (JSON syntax), true,
// false, null, a path beginning with "$" (the input), "$$" (the context
// object) or "$name" (a variable), or a nested intrinsic function. Inside a
// string the reserved characters are escaped with a backslash: \' \{ \} and
// \\; any other backslash is an error, and so is a lone { or }. The
// sequence {} is a States.Format placeholder. Intrinsic functions nest at
// most MaxDepth levels deep.
//
// # Values
//
// JSON values are Go values as github.com/ohler55/ojg/oj.Parse produces
// them: map[string]any, []any, string, bool, nil, int64 for integral
// numbers and float64 for others. Resolved values may also hold int,
// the other sized integers, float32 and json.Number. Results use the same
// representation, with int64 for every integer a function computes.
//
// # Errors
//
// Parse returns a *ParseError naming the problem and its position. Eval
// returns the resolver's errors unchanged and reports every other failure
// as an *Error named States.IntrinsicFailure, as Step Functions does.
//
// # Randomness
//
// States.MathRandom without a seed and States.UUID draw random numbers.
// Eval uses math/rand/v2's global source for MathRandom and crypto/rand for
// UUID; EvalWith takes a *rand.Rand instead, so tests are deterministic.
// States.MathRandom with a seed always uses a generator seeded with it, so
// the same seed returns the same number.
//
// # Where meshgate differs from Step Functions
//
// Objects have no key order in Go, so States.JsonToString writes keys in
// sorted order where Step Functions keeps the input's order. States.Format
// rejects array and object values, as the specification requires.
package intrinsic
