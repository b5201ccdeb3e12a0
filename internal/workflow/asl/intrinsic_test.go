package asl

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParametersWithIntrinsics(t *testing.T) {
	tests := []struct {
		name, params, input, want string
	}{
		{"spec: States.Format with a context path",
			`{"flagged":true,"parts":{"first.$":"$.vals[0]","last3.$":"$.vals[3:]"},"weekday.$":"$$.Execution.Name",
			  "formattedOutput.$":"States.Format('Today is {}', $$.Execution.Name)"}`,
			`{"flagged":7,"vals":[0,10,20,30,40,50]}`,
			`{"flagged":true,"parts":{"first":0,"last3":[30,40,50]},"weekday":"run","formattedOutput":"Today is run"}`},
		{"spec: States.Format with an escaped quote",
			`{"greeting.$":"States.Format('Welcome to {} {}\\'s playlist.', $.firstName, $.lastName)"}`,
			`{"firstName":"John","lastName":"Doe"}`, `{"greeting":"Welcome to John Doe's playlist."}`},
		{"spec: States.Format with a number",
			`{"foo.$":"States.Format('Your name is {}, we are in the year {}', $.name, 2020)"}`,
			`{"name":"Foo","zebra":"stripe"}`, `{"foo":"Your name is Foo, we are in the year 2020"}`},
		{"spec: States.StringToJson", `{"foo.$":"States.StringToJson($.someString)"}`,
			`{"someString":"{\"number\": 20}","zebra":"stripe"}`, `{"foo":{"number":20}}`},
		{"spec: States.JsonToString", `{"foo.$":"States.JsonToString($.someJson)"}`,
			`{"someJson":{"name":"Foo","year":2020},"zebra":"stripe"}`, `{"foo":"{\"name\":\"Foo\",\"year\":2020}"}`},
		{"spec: States.Array", `{"foo.$":"States.Array('Foo', 2020, $.someJson, null)"}`,
			`{"someJson":{"random":"abcdefg"},"zebra":"stripe"}`, `{"foo":["Foo",2020,{"random":"abcdefg"},null]}`},
		{"nested calls and the whole input", `{"n.$":"States.ArrayLength(States.Array($, $.a))","s.$":"States.MathAdd($.a, 1)"}`,
			`{"a":1}`, `{"n":2,"s":2}`},
		{"a context path as an argument", `{"i.$":"States.Format('{}', $$.State.Name)"}`, `{}`, `{"i":"X"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, taskMachine(`"Parameters":`+tt.params))
			out, err := m.Enter("X", mustJSON(t, tt.input), &Context{Execution: ExecutionInfo{Name: "run"}})
			if err != nil || out.Kind != RunTask {
				t.Fatalf("got %v %v %s %s, want RunTask", out.Kind, err, out.Error, out.Cause)
			}
			assertJSON(t, out.Task.Input, tt.want)
		})
	}
}

func TestIntrinsicFailures(t *testing.T) {
	tests := []struct {
		name, params, input, wantError string
	}{
		{"bad JSON string", `{"x.$":"States.StringToJson($.s)"}`, `{"s":"{"}`, ErrIntrinsicFailure},
		{"wrong argument type", `{"x.$":"States.MathAdd($.s, 1)"}`, `{"s":"one"}`, ErrIntrinsicFailure},
		{"path argument without a match", `{"x.$":"States.Format('{}', $.missing)"}`, `{}`, ErrParameterPathFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, taskMachine(`"Parameters":`+tt.params))
			res := runMachine(t, m, mustJSON(t, tt.input), echoTasks)
			if res.Status != "FAILED" || res.Error != tt.wantError {
				t.Errorf("got %s %s (%s), want FAILED %s", res.Status, res.Error, res.Cause, tt.wantError)
			}
		})
	}
	// An intrinsic failure can be caught.
	m := mustParse(t, `{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"r","Parameters":{"x.$":"States.StringToJson($.s)"},
	 "Catch":[{"ErrorEquals":["States.IntrinsicFailure"],"ResultPath":"$.err","Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`)
	res := runMachine(t, m, mustJSON(t, `{"s":"nope"}`), echoTasks)
	if res.Status != "SUCCEEDED" || res.States[len(res.States)-1] != "C" {
		t.Errorf("got %s at %v, want SUCCEEDED at C", res.Status, res.States)
	}
}

func TestIntrinsicValidation(t *testing.T) {
	wantProblems(t, `{"StartAt":"X","States":{"X":{"Type":"Pass","End":true,"Parameters":{
	 "a.$":"States.Nope(1)","b.$":"States.Format('{}')","c.$":"States.Array(","d.$":"States.ArrayLength($name)",
	 "e.$":"States.Format('{}', $.ok)"}}}}`,
		"X|Parameters.a.$|invalid intrinsic function call", "X|Parameters.b.$|invalid intrinsic function call",
		"X|Parameters.c.$|invalid intrinsic function call", "X|Parameters.d.$|invalid intrinsic function call")
}

func TestFailStateIntrinsics(t *testing.T) {
	m := mustParse(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"States.Format('{}Error', $.kind)",
	 "CausePath":"States.Format('item {} failed', $.id)"}}}`)
	res := runMachine(t, m, mustJSON(t, `{"kind":"Quota","id":7}`), echoTasks)
	if res.Error != "QuotaError" || res.Cause != "item 7 failed" {
		t.Errorf("got %q %q, want QuotaError, item 7 failed", res.Error, res.Cause)
	}
}

func TestRandomnessComesFromTheContext(t *testing.T) {
	m := mustParse(t, taskMachine(`"Parameters":{"id.$":"States.UUID()","n.$":"States.MathRandom(1, 1000)"}`))
	run := func(seed uint64) any {
		out, err := m.Enter("X", map[string]any{}, &Context{Rand: rand.New(rand.NewPCG(seed, seed))})
		if err != nil || out.Kind != RunTask {
			t.Fatalf("got %v %v, want RunTask", out.Kind, err)
		}
		return out.Task.Input
	}
	a, b, c := run(1), run(1), run(2)
	assertJSON(t, a, string(mustMarshal(t, b)))
	if string(mustMarshal(t, a)) == string(mustMarshal(t, c)) {
		t.Errorf("got the same values %s for different seeds, want different ones", mustMarshal(t, a))
	}
	if id := a.(map[string]any)["id"].(string); len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Errorf("got UUID %q, want the 8-4-4-4-12 form", id)
	}

	// FULL jitter draws from the same source.
	rm := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","End":true,
	 "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":10,"JitterStrategy":"FULL"}]}}}`)
	out := rm.Fail("T", nil, StateError{Name: "E"}, &Context{Rand: rand.New(rand.NewPCG(5, 5))})
	want := time.Duration(10 * rand.New(rand.NewPCG(5, 5)).Float64() * float64(time.Second)).Round(time.Millisecond)
	if out.Kind != RetryAfter || out.Retry.Delay != want {
		t.Errorf("got %v %v, want RetryAfter %v", out.Kind, out.Retry, want)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
