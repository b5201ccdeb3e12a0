package intrinsic

import (
	"errors"
	"testing"
)

func TestResolverErrorsPassThrough(t *testing.T) {
	sentinel := errors.New("States.Runtime: no such field")
	res := func(path string) (any, error) {
		if path == "$.missing" {
			return nil, sentinel
		}
		return []any{int64(1)}, nil
	}
	for _, expr := range []string{
		"States.Array($.missing)",
		"States.ArrayLength(States.Array($.ok, $.missing))",
		"States.Format('{}', States.ArrayGetItem(States.Array(States.Array($.missing)), 0))",
	} {
		_, err := mustParse(t, expr).Eval(res)
		if err != sentinel {
			t.Errorf("%s: got %v, want the resolver's error unchanged", expr, err)
		}
	}
}

func TestErrorText(t *testing.T) {
	err := error(&Error{Name: "States.IntrinsicFailure", Cause: "States.ArrayLength: argument 1 (array) must be an array, got null"})
	if got, want := err.Error(), "States.IntrinsicFailure: States.ArrayLength: argument 1 (array) must be an array, got null"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, perr := Parse("States.Array(1")
	if got, want := perr.Error(), "invalid intrinsic function at position 12: States.Array( is never closed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEvalNilCall(t *testing.T) {
	var c *Call
	if _, err := c.Eval(nil); err == nil {
		t.Error("Eval of a nil *Call: got no error, want a States.IntrinsicFailure")
	}
	if _, err := (&Call{Name: "States.Array"}).Eval(nil); err == nil {
		t.Error("Eval of a Call not made by Parse: got no error, want a States.IntrinsicFailure")
	}
}

func TestResultTypes(t *testing.T) {
	res := resolverFor(t, `{"a":[1,2,2],"s":"x,y","o":{"k":1}}`, "")
	for _, tc := range []struct {
		expr string
		want any
	}{
		{"States.ArrayLength($.a)", int64(0)},
		{"States.MathAdd(1, 2)", int64(0)},
		{"States.MathRandom(1, 5, 1)", int64(0)},
		{"States.ArrayRange(1, 3, 1)", []any{}},
		{"States.ArrayUnique($.a)", []any{}},
		{"States.StringSplit($.s, ',')", []any{}},
		{"States.JsonMerge($.o, $.o, false)", map[string]any{}},
		{"States.ArrayContains($.a, 2)", false},
		{"States.JsonToString($.o)", ""},
	} {
		got, err := mustParse(t, tc.expr).Eval(res)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if gt, wt := typeOf(got), typeOf(tc.want); gt != wt {
			t.Errorf("%s: got a %s, want a %s", tc.expr, gt, wt)
		}
	}
	got, _ := mustParse(t, "States.ArrayRange(1, 3, 1)").Eval(res)
	for _, v := range got.([]any) {
		if _, ok := v.(int64); !ok {
			t.Errorf("ArrayRange item: got %T, want int64", v)
		}
	}
}

func typeOf(v any) string {
	switch v.(type) {
	case int64:
		return "int64"
	}
	return typeName(v)
}
