package intrinsic

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// fuzzInput is the input every fuzzed expression is evaluated against.
var fuzzInput = map[string]any{
	"$":       map[string]any{"a": []any{int64(1), "x", nil}},
	"$.a":     []any{int64(1), int64(2), int64(2), "x", nil, map[string]any{"k": 1.5}},
	"$.s":     "a,b,{},c",
	"$.n":     int64(3),
	"$.f":     -2.5,
	"$.b":     true,
	"$.o":     map[string]any{"k": []any{int64(1)}, "j": "v"},
	"$.t":     "{} and {}",
	"$.js":    `{"a":[1,2,{"b":null}]}`,
	"$.big":   int64(9223372036854775807),
	"$$.ctx":  "context",
	"$.empty": []any{},
}

var errFuzzPath = errors.New("no such path")

func fuzzResolve(path string) (any, error) {
	if v, ok := fuzzInput[path]; ok {
		return v, nil
	}
	return nil, errFuzzPath
}

// FuzzParseEval checks that no expression makes Parse or Eval panic, that
// every error has the documented type, and that String round-trips.
func FuzzParseEval(f *testing.F) {
	for _, seed := range []string{
		"States.Format('Hello, my name is {}.', $.name)",
		"States.Format($.t, $.n, $.b)",
		`States.Format('Welcome to {} {}\'s playlist.', $.s, $.f)`,
		"States.StringToJson($.js)",
		"States.JsonToString($.o)",
		"States.Array('Foo', 2020, $.o, null, true)",
		"States.ArrayPartition($.a, 4)",
		"States.ArrayContains($.a, 2)",
		"States.ArrayRange(1, 9, 2)",
		"States.ArrayRange(-9223372036854775808, $.big, 1)",
		"States.ArrayGetItem($.a, $.n)",
		"States.ArrayLength($.a)",
		"States.ArrayUnique($.a)",
		"States.Base64Encode($.s)",
		"States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
		"States.Hash($.s, 'SHA-256')",
		"States.JsonMerge($.o, $.o, false)",
		"States.MathRandom(1, $.big)",
		"States.MathRandom($.f, 10, $.n)",
		"States.MathAdd($.n, $.f)",
		"States.StringSplit($.s, ',{')",
		"States.UUID()",
		"States.Array($.a[?(@.b == 'x, )')], $$.ctx, $)",
		"States.Format('{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.s, ','), 2), '.'), 0))",
		`States.Array('\\\'\{\}')`,
		"States.Array(1e308, -0, 0.5, 12345678901234567890)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): got error %T %v, want a *ParseError", expr, err, err)
			}
			if pe.Pos < 0 || pe.Pos > len(expr) {
				t.Fatalf("Parse(%q): got position %d outside the expression", expr, pe.Pos)
			}
			return
		}
		canon := c.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) of String() of %q: %v", canon, expr, err)
		}
		if again.String() != canon {
			t.Fatalf("String round trip of %q: got %q, want %q", expr, again.String(), canon)
		}
		v, err := c.EvalWith(fuzzResolve, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			var ie *Error
			if err != errFuzzPath && (!errors.As(err, &ie) || ie.Name != ErrorName || ie.Cause == "") {
				t.Fatalf("Eval(%q): got error %T %v, want the resolver's or a States.IntrinsicFailure", expr, err, err)
			}
			return
		}
		if err := checkJSON(v, 0); err != nil {
			t.Fatalf("Eval(%q): got %#v, which is not JSON: %v", expr, v, err)
		}
	})
}
