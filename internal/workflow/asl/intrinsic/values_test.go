package intrinsic

import (
	"encoding/json"
	"math"
	"testing"
)

// Resolvers may hand back numbers in other Go types than oj.Parse's.
func TestOtherNumberTypes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  int64
	}{
		{"int", int(41), 42},
		{"int8", int8(41), 42},
		{"int16", int16(41), 42},
		{"int32", int32(41), 42},
		{"uint8", uint8(41), 42},
		{"uint16", uint16(41), 42},
		{"uint32", uint32(41), 42},
		{"uint", uint(41), 42},
		{"uint64", uint64(41), 42},
		{"float32", float32(40.5), 42},
		{"json.Number integer", json.Number("41"), 42},
		{"json.Number float", json.Number("40.6"), 42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustParse(t, "States.MathAdd($.v, 1)").Eval(func(string) (any, error) { return tc.value, nil })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %#v, want %d", got, tc.want)
			}
		})
	}
}

func TestOtherNumberTypesRejected(t *testing.T) {
	for _, v := range []any{json.Number("x"), uint64(math.MaxUint64), math.NaN(), math.Inf(1), struct{}{}} {
		_, err := mustParse(t, "States.ArrayRange($.v, 1, 1)").Eval(func(string) (any, error) { return v, nil })
		if err == nil {
			t.Errorf("ArrayRange(%#v): got no error, want a States.IntrinsicFailure", v)
		}
	}
}

func TestEqual(t *testing.T) {
	obj := map[string]any{"a": []any{int64(1), "x"}}
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{int64(1), 1.0, true},
		{int(1), json.Number("1"), true},
		{float32(0.5), 0.5, true},
		{int64(1), "1", false},
		{"1", int64(1), false},
		{nil, nil, true},
		{nil, false, false},
		{true, true, true},
		{true, false, false},
		{obj, map[string]any{"a": []any{1.0, "x"}}, true},
		{obj, map[string]any{"a": []any{1.0, "y"}}, false},
		{obj, map[string]any{"b": []any{1.0, "x"}}, false},
		{obj, map[string]any{}, false},
		{[]any{}, map[string]any{}, false},
		{[]any{int64(1)}, []any{int64(1), int64(2)}, false},
		{struct{}{}, struct{}{}, false},
		{int64(1), struct{}{}, false},
	} {
		if got := equal(tc.a, tc.b); got != tc.want {
			t.Errorf("equal(%#v, %#v): got %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if tc.want {
			ka, kb := string(appendKey(nil, tc.a)), string(appendKey(nil, tc.b))
			if ka != kb {
				t.Errorf("appendKey(%#v) = %s and appendKey(%#v) = %s, want equal keys for equal values", tc.a, ka, tc.b, kb)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{true, "boolean true"},
		{"short", `string "short"`},
		{"a string much longer than forty characters in all", "string"},
		{int64(3), "number 3"},
		{2.5, "number 2.5"},
		{[]any{}, "array"},
		{map[string]any{}, "object"},
		{struct{}{}, "unsupported value of Go type struct {}"},
	} {
		if got := describe(tc.v); got != tc.want {
			t.Errorf("describe(%#v): got %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestArgIsLiteral(t *testing.T) {
	c := mustParse(t, "States.Array('a', 1, true, null, $.p, States.UUID())")
	want := []bool{true, true, true, true, false, false}
	for i, w := range want {
		if got := c.Args[i].IsLiteral(); got != w {
			t.Errorf("argument %d: got IsLiteral %v, want %v", i+1, got, w)
		}
	}
}
