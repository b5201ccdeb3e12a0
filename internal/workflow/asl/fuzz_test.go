package asl

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// FuzzParse checks that no definition panics the parser, and that every
// machine it accepts can be entered from its start without panicking.
func FuzzParse(f *testing.F) {
	for _, def := range []string{specChoice, specRetry, specCatch, specMap, benchDefinition,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$.b[*]","c":[{"d.$":"$$.Execution.Id"}]},"ResultPath":"$.x","End":true}}}`,
		`{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
		`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}],"End":true}}}`,
		`{}`, `[]`, `null`, `{"StartAt":1,"States":[]}`,
	} {
		f.Add([]byte(def), []byte(`{"a":1,"b":[1,2],"s":5,"e":"E","c":"C","type":"Private","value":25}`))
	}
	f.Fuzz(func(t *testing.T, def, input []byte) {
		m, err := Parse(def)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("got %T, want *ValidationError", err)
			}
			return
		}
		in, err := ParseJSON(input)
		if err != nil {
			return
		}
		ctx := &Context{Now: testNow, Rand: rand.New(rand.NewPCG(3, 4))}
		for name := range m.States {
			out, err := m.Enter(name, in, ctx)
			if err != nil {
				t.Fatalf("enter %q: %v", name, err)
			}
			if out.Kind == 0 {
				t.Fatalf("enter %q: no outcome", name)
			}
			if _, err := MarshalJSON(out.Output); err != nil {
				t.Fatalf("enter %q: output: %v", name, err)
			}
			if out.Task != nil {
				if _, err := MarshalJSON(out.Task.Input); err != nil {
					t.Fatalf("enter %q: task input: %v", name, err)
				}
			}
			if st := m.States[name]; st.Type == TypeTask || st.Type == TypeParallel || st.Type == TypeMap {
				_, _ = m.Complete(name, in, in, ctx)
				_ = m.Fail(name, in, StateError{Name: "States.TaskFailed", Cause: "x"}, ctx)
			}
		}
	})
}

// FuzzPaths checks that no path panics the compiler, the evaluator or the
// setter, and that reference paths can always be set into objects.
func FuzzPaths(f *testing.F) {
	for _, p := range []string{"$", "$.a", "$.a[0]", "$['a b'][1]", "$.a[*]", "$..a", "$.a[1:3]", "$.a[?(@.b > 1)]",
		"$.a[-1]", "$$.Execution.Id", "$.a-b", `$["x\"y"]`, "$[(@.length-1)]", "$.a[0,1]"} {
		f.Add(p, []byte(`{"a":[{"b":1},{"b":2}],"a b":[0,1],"a-b":true}`))
	}
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := compilePath(path)
		if err != nil {
			return
		}
		v, err := ParseJSON(data)
		if err != nil {
			return
		}
		s := &scope{ctx: &Context{}}
		got, err := s.eval(p, v)
		if !p.definite {
			if err != nil {
				t.Fatalf("%q: indefinite path failed: %v", path, err)
			}
			if _, ok := got.([]any); !ok {
				t.Fatalf("%q: got %T, want an array from an indefinite path", path, got)
			}
		}
		if p.ref && !p.context {
			out, err := setPath(v, p.frags, "X")
			if err == nil {
				back, ok := getDefinite(out, p.frags)
				if !ok || back != "X" {
					t.Fatalf("%q: set then get gave %v %v", path, back, ok)
				}
			}
		}
	})
}

// FuzzJSON checks that every document ParseJSON accepts marshals to valid
// JSON that parses back to the same value.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x\u2028y",null,true]}`, `"\u0000<>&"`, `1e308`, `-0.0`, `[[[]]]`, `{"":{"":""}}`,
		`123456789012345678901234567890`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			return
		}
		b, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("marshal %q: %v", data, err)
		}
		if !json.Valid(b) {
			t.Fatalf("marshal %q: got invalid JSON %q", data, b)
		}
		back, err := ParseJSON(b)
		if err != nil {
			t.Fatalf("reparse %q: %v", b, err)
		}
		if !reflect.DeepEqual(normalize(back), normalize(v)) {
			t.Fatalf("round trip of %q: got %#v, want %#v", data, back, v)
		}
	})
}
