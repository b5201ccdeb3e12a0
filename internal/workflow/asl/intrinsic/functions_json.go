package intrinsic

import (
	"fmt"
	"math"
	"strings"

	"github.com/meshgate/meshgate/internal/workflow/asl/jsonvalue"
	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/oj"
)

func init() {
	register(
		&function{name: "States.StringToJson", min: 1, max: 1, result: tAny,
			params: []param{{name: "string", types: tString, conv: toString}},
			eval:   evalStringToJSON},
		&function{name: "States.JsonToString", min: 1, max: 1, result: tString,
			params: []param{{name: "value", noLiteral: true}},
			eval:   evalJSONToString},
		&function{name: "States.JsonMerge", min: 3, max: 3, result: tObject,
			params: []param{
				{name: "object", types: tObject, conv: toObject},
				{name: "object", types: tObject, conv: toObject},
				{name: "deep merge flag", types: tBool, conv: toFalse},
			},
			eval: evalJSONMerge},
	)
}

// jsonOptions writes compact JSON, as Step Functions does, with object keys
// sorted (Go maps keep no order) and without HTML escapes.
var jsonOptions = ojg.Options{Sort: true, HTMLUnsafe: true}

// evalStringToJSON parses a JSON text. An empty or blank string gives null.
func evalStringToJSON(_ *evaluator, c *Call, args []any) (any, error) {
	s := args[0].(string)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := jsonvalue.Parse([]byte(s))
	if err != nil {
		return nil, failf("%s: the string is not valid JSON: %v", c.Name, err)
	}
	return v, nil
}

// evalJSONToString writes a value as compact JSON text.
func evalJSONToString(_ *evaluator, c *Call, args []any) (any, error) {
	s, err := marshalJSON(args[0])
	if err != nil {
		return nil, failf("%s: %v", c.Name, err)
	}
	return s, nil
}

// marshalJSON writes v as compact JSON after checking that it holds only
// JSON values.
func marshalJSON(v any) (string, error) {
	if err := checkJSON(v, 0); err != nil {
		return "", err
	}
	b, err := oj.Marshal(v, &jsonOptions)
	if err != nil {
		return "", fmt.Errorf("cannot write JSON: %w", err)
	}
	return string(b), nil
}

// maxJSONDepth bounds the nesting checkJSON accepts.
const maxJSONDepth = 10000

// checkJSON reports a value that JSON cannot represent.
func checkJSON(v any, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("value nests more than %d levels deep", maxJSONDepth)
	}
	switch t := v.(type) {
	case nil, string, bool, int64:
		return nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("number %v has no JSON form", t)
		}
		return nil
	case []any:
		for _, e := range t {
			if err := checkJSON(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range t {
			if err := checkJSON(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if n, ok := toNumber(v); ok {
		if !n.isInt {
			return checkJSON(n.f, depth)
		}
		return nil
	}
	return fmt.Errorf("value of Go type %T has no JSON form", v)
}

// evalJSONMerge merges two objects shallowly: the second object's keys
// replace the first's, and nested objects are not merged.
func evalJSONMerge(_ *evaluator, _ *Call, args []any) (any, error) {
	a, b := args[0].(map[string]any), args[1].(map[string]any)
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}
