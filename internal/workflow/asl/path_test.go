package asl

import (
	"math"
	"strings"
	"testing"

	"github.com/ohler55/ojg/jp"
)

func TestCompilePath(t *testing.T) {
	tests := []struct {
		path          string
		wantErr       bool
		wantRef       bool
		wantDefinite  bool
		wantIsContext bool
	}{
		{"$", false, true, true, false},
		{"$.a.b", false, true, true, false},
		{"$['a b'][0]", false, true, true, false},
		{"$.a[-1]", false, false, true, false},
		{"$.a[*]", false, false, false, false},
		{"$..a", false, false, false, false},
		{"$.a[0:2]", false, false, false, false},
		{"$.a[1,2]", false, false, false, false},
		{"$.a[?(@.b == 1)]", false, false, false, false},
		{"$.error-info", false, true, true, false},
		{"$.a-b.c_d[2]", false, true, true, false},
		{"$$", false, true, true, true},
		{"$$.Execution.Input.x", false, true, true, true},
		{"", true, false, false, false},
		{"a.b", true, false, false, false},
		{"@.a", true, false, false, false},
		{"$.", true, false, false, false},
		{"$[", true, false, false, false},
		{"$.a[", true, false, false, false},
		{"$$$", true, false, false, false},
	}
	for _, tt := range tests {
		p, err := compilePath(tt.path)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: got error %v, want error %v", tt.path, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if p.IsReference() != tt.wantRef || p.definite != tt.wantDefinite || p.IsContext() != tt.wantIsContext || p.String() != tt.path {
			t.Errorf("%q: got ref %v definite %v context %v, want %v %v %v", tt.path,
				p.IsReference(), p.definite, p.IsContext(), tt.wantRef, tt.wantDefinite, tt.wantIsContext)
		}
	}
	// The specification's examples of acceptable reference paths.
	for _, ref := range []string{`$.store.book`, `$.store\.book`, `$.\stor\e.boo\k`, `$.store.book.title`, `$.foo.\.bar`,
		`$.foo\@bar.baz\[\[.\?pretty`, `$.&Ж中.\uD800\uDF46`, `$.ledgers.branch[0].pending.count`, `$.ledgers.branch[0]`,
		`$.ledgers[0][22][315].foo`, `$['store']['book']`, `$['store'][0]['book']`} {
		if _, err := compileReferencePath(ref); err != nil {
			t.Errorf("%s: got %v, want a reference path", ref, err)
		}
	}
	p, err := compileReferencePath(`$.store\.book.\stor\e`)
	if err != nil || len(p.frags) != 2 || p.frags[0] != jp.Child("store.book") || p.frags[1] != jp.Child("store") {
		t.Errorf("got %v %v, want [store.book store]", p, err)
	}
	if _, err := compileReferencePath("$.a[*]"); err == nil || !strings.Contains(err.Error(), "not a reference path") {
		t.Errorf("got %v, want a reference path error", err)
	}
}

// TestReferencePathEscapedInDefinition: the specification's reference path
// `$.&Ж中.\uD800\uDF46`, written in a definition's JSON, names the field
// whose name is the character that surrogate pair escapes (U+10346).
func TestReferencePathEscapedInDefinition(t *testing.T) {
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.&Ж中.\uD800\uDF46","End":true}}}`)
	res := runMachine(t, m, mustJSON(t, `{}`), echoTasks)
	assertJSON(t, res.Output, "{\"&Ж中\":{\"\U00010346\":1}}")
}

func TestPathEval(t *testing.T) {
	data := mustJSON(t, `{"a":{"b":[10,20,30]},"c d":1,"n":null,"books":[{"p":5,"t":"x"},{"p":15,"t":"y"}]}`)
	tests := []struct {
		path    string
		want    string
		wantErr bool
	}{
		{"$", `{"a":{"b":[10,20,30]},"c d":1,"n":null,"books":[{"p":5,"t":"x"},{"p":15,"t":"y"}]}`, false},
		{"$.a.b[1]", `20`, false},
		{"$.a.b[-1]", `30`, false},
		{"$['c d']", `1`, false},
		{"$.n", `null`, false},
		{"$.a.b[3]", ``, true},
		{"$.a.x", ``, true},
		{"$.n.x", ``, true},
		{"$.a.b[*]", `[10,20,30]`, false},
		{"$.a.b[0:2]", `[10,20]`, false},
		{"$.books[?(@.p > 10)].t", `["y"]`, false},
		{"$.books[?(@.p > 100)]", `[]`, false},
		{"$..t", `["x","y"]`, false},
	}
	for _, tt := range tests {
		p, err := compilePath(tt.path)
		if err != nil {
			t.Fatalf("%q: %v", tt.path, err)
		}
		got, err := p.eval(data)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: got error %v, want error %v", tt.path, err, tt.wantErr)
			continue
		}
		if err == nil {
			assertJSON(t, got, tt.want)
		}
	}
}

func TestSetPath(t *testing.T) {
	tests := []struct {
		input, path, value, want string
		wantErr                  bool
	}{
		{`{"a":1}`, "$.b", `2`, `{"a":1,"b":2}`, false},
		{`{"a":1}`, "$.a", `2`, `{"a":2}`, false},
		{`{}`, "$.a.b.c", `1`, `{"a":{"b":{"c":1}}}`, false},
		{`{"a":null}`, "$.a.b", `1`, `{"a":{"b":1}}`, false},
		{`{"a":[1,{"x":1}]}`, "$.a[1].y", `2`, `{"a":[1,{"x":1,"y":2}]}`, false},
		{`{"a":[1]}`, "$.a[1]", `2`, ``, true},
		{`{"a":1}`, "$.a.b", `2`, ``, true},
		{`{"a":"s"}`, "$.a[0]", `2`, ``, true},
		{`[1]`, "$.a", `2`, ``, true},
	}
	for _, tt := range tests {
		p, err := compileReferencePath(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		in := mustJSON(t, tt.input)
		got, err := setPath(in, p.frags, mustJSON(t, tt.value))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s on %s: got error %v, want error %v", tt.path, tt.input, err, tt.wantErr)
			continue
		}
		if err == nil {
			assertJSON(t, got, tt.want)
		}
		assertJSON(t, in, tt.input)
	}
}

func TestJSONHelpers(t *testing.T) {
	v, err := ParseJSON([]byte(`{"i":12,"f":1.5,"e":1e3,"big":123456789012345678901234567890,"s":"<&>","n":null,"b":[true]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	for k, want := range map[string]string{"i": "int64", "f": "float64", "e": "float64", "big": "float64"} {
		if got := typeOf(m[k]); got != want {
			t.Errorf("%s: got %s, want %s", k, got, want)
		}
	}
	b, err := MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":[true],"big":1.2345678901234568e+29,"e":1000,"f":1.5,"i":12,"n":null,"s":"<&>"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	for _, bad := range []string{`{"a":}`, `2e700`, "\"\xd4\"", `[1,]`, `{"a":1}x`} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("%q: got nil, want a parse error", bad)
		}
	}
	if _, err := MarshalJSON([]any{math.Inf(1)}); err == nil {
		t.Error("got nil, want an error for an infinite number")
	}
	if _, err := MarshalJSON(map[string]any{"x": struct{}{}}); err == nil {
		t.Error("got nil, want an error for a non-JSON value")
	}
}

func typeOf(v any) string {
	switch v.(type) {
	case int64:
		return "int64"
	case float64:
		return "float64"
	}
	return "other"
}

func TestCheckPayloadSize(t *testing.T) {
	if err := CheckPayloadSize(map[string]any{"a": strings.Repeat("x", 1000)}, "the state input"); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	err := CheckPayloadSize(strings.Repeat("x", MaxPayloadSize), "the state input")
	se, ok := err.(*StateError)
	if !ok || se.Name != ErrDataLimitExceeded || !strings.Contains(se.Cause, "the state input") {
		t.Errorf("got %v, want %s naming the state input", err, ErrDataLimitExceeded)
	}
}

func TestContextObject(t *testing.T) {
	ctx := &Context{
		Execution:    ExecutionInfo{ID: "arn:exec", Name: "n", RoleArn: "role", StartTime: testNow, Input: map[string]any{"a": int64(1)}},
		State:        StateInfo{Name: "S", EnteredTime: testNow.Add(1500 * 1e6), RetryCount: 2},
		StateMachine: StateMachineInfo{ID: "arn:sm", Name: "sm"},
		Task:         &TaskInfo{Token: "t"},
		Map:          &MapInfo{Item: MapItem{Index: 3, Value: "v"}},
	}
	assertJSON(t, ctx.Object(), `{"Execution":{"Id":"arn:exec","Name":"n","RoleArn":"role","StartTime":"2026-01-02T03:04:05.000Z","Input":{"a":1}},
	 "State":{"Name":"S","EnteredTime":"2026-01-02T03:04:06.500Z","RetryCount":2},"StateMachine":{"Id":"arn:sm","Name":"sm"},
	 "Task":{"Token":"t"},"Map":{"Item":{"Index":3,"Value":"v"}}}`)
}

// TestIndefinitePathsSelectInAStableOrder runs a definition whose paths
// select several members of objects: the same input must give the same
// output every time, as the interpreter is deterministic. Objects keep no
// order of their own here, so members come in the order of their keys.
func TestIndefinitePathsSelectInAStableOrder(t *testing.T) {
	m := mustParse(t, taskMachine(`"Parameters":{"wild.$":"$.k.*.t","descent.$":"$..t","first.$":"States.ArrayGetItem($.k[*].t, 0)"}`))
	input := mustJSON(t, `{"k":{"e":{"t":5},"a":{"t":1},"d":{"t":4},"b":{"t":2},"c":{"t":3},"f":{"t":6},"g":{"t":7},"h":{"t":8}}}`)
	for range 20 {
		var got any
		runMachine(t, m, input, func(_ string, in any) (any, *StateError) {
			got = in
			return nil, nil
		})
		assertJSON(t, got, `{"wild":[1,2,3,4,5,6,7,8],"descent":[1,2,3,4,5,6,7,8],"first":1}`)
	}
}
