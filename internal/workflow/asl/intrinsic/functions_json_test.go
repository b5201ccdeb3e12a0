package intrinsic

import "testing"

func TestJSONFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		// The developer guide's examples.
		{"StringToJson doc", `{"escapedJsonString":"{\"foo\": \"bar\"}"}`, "States.StringToJson($.escapedJsonString)", `{"foo":"bar"}`},
		{"JsonToString doc", `{"unescapedJson":{"foo":"bar"}}`, "States.JsonToString($.unescapedJson)", `"{\"foo\":\"bar\"}"`},
		{"JsonMerge doc", `{"json1":{"a":{"a1":1,"a2":2},"b":2},"json2":{"a":{"a3":1,"a4":2},"c":3}}`, "States.JsonMerge($.json1, $.json2, false)", `{"a":{"a3":1,"a4":2},"b":2,"c":3}`},
		// The specification's examples.
		{"StringToJson spec", `{"someString":"{\"number\": 20}","zebra":"stripe"}`, "States.StringToJson($.someString)", `{"number":20}`},
		{"JsonToString spec", `{"someJson":{"name":"Foo","year":2020},"zebra":"stripe"}`, "States.JsonToString($.someJson)", `"{\"name\":\"Foo\",\"year\":2020}"`},

		{"StringToJson literal", "", `States.StringToJson('[1, "two", null]')`, `[1,"two",null]`},
		{"StringToJson scalar", "", `States.StringToJson('"s"')`, `"s"`},
		{"StringToJson blank", "", `States.StringToJson('  ')`, `null`},
		{"StringToJson escaped braces", "", `States.StringToJson('\{"a":\{"b":true\}\}')`, `{"a":{"b":true}}`},
		{"JsonToString compact sorted", `{"o":{"b":[1.5,null,true],"a":"<&>é","c":{}}}`, "States.JsonToString($.o)", `"{\"a\":\"<&>é\",\"b\":[1.5,null,true],\"c\":{}}"`},
		{"JsonToString string", `{"s":"q\"uote"}`, "States.JsonToString($.s)", `"\"q\\\"uote\""`},
		{"JsonToString number", `{"n":-12}`, "States.JsonToString($.n)", `"-12"`},
		{"JsonToString whole input", `{"a":1}`, "States.JsonToString($)", `"{\"a\":1}"`},
		{"JsonToString nested call", "", "States.JsonToString(States.Array(1, 'a'))", `"[1,\"a\"]"`},
		{"round trip", `{"o":{"x":[1,{"y":2}]}}`, "States.StringToJson(States.JsonToString($.o))", `{"x":[1,{"y":2}]}`},
		// parsed as every JSON text is (package jsonvalue): a number too
		// large for int64 is a float64, an escaped surrogate pair one
		// character
		{"StringToJson big integer", `{"s":"{\"a\":123456789012345678901234567890}"}`, "States.StringToJson($.s)", `{"a":1.2345678901234568e+29}`},
		{"StringToJson surrogate pair", `{"s":"\"\\ud83d\\ude00\""}`, "States.StringToJson($.s)", "\"\U0001F600\""},
		{"JsonMerge empty", `{"a":{},"b":{"k":1}}`, "States.JsonMerge($.a, $.b, false)", `{"k":1}`},
		{"JsonMerge flag from path", `{"a":{"k":1},"b":{"k":2},"deep":false}`, "States.JsonMerge($.a, $.b, $.deep)", `{"k":2}`},
	})
}

func TestJSONMergeDoesNotModifyInput(t *testing.T) {
	a := map[string]any{"k": int64(1)}
	b := map[string]any{"k": int64(2), "l": int64(3)}
	res := func(p string) (any, error) {
		if p == "$.a" {
			return a, nil
		}
		return b, nil
	}
	got, err := mustParse(t, "States.JsonMerge($.a, $.b, false)").Eval(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a["k"] != int64(1) {
		t.Errorf("got first object %v after the merge, want it unchanged", a)
	}
	if m := got.(map[string]any); m["k"] != int64(2) || m["l"] != int64(3) {
		t.Errorf("got %v, want k=2 and l=3", m)
	}
}

func TestJSONFunctionsFail(t *testing.T) {
	runFailCases(t, []failCase{
		{"StringToJson invalid", `{"s":"{nope"}`, "States.StringToJson($.s)", "States.StringToJson: the string is not valid JSON"},
		{"StringToJson trailing", `{"s":"1 2"}`, "States.StringToJson($.s)", "not valid JSON"},
		{"StringToJson value missing", `{"s":"{\"a\":}"}`, "States.StringToJson($.s)", "not valid JSON"},
		{"StringToJson number out of range", `{"s":"[1e999]"}`, "States.StringToJson($.s)", "not valid JSON: number out of range"},
		{"StringToJson not string", `{"s":{"a":1}}`, "States.StringToJson($.s)", "argument 1 (string) must be a string, got object"},
		{"JsonMerge not object", `{"a":[1],"b":{}}`, "States.JsonMerge($.a, $.b, false)", "argument 1 (object) must be an object, got array"},
		{"JsonMerge deep", `{"a":{},"b":{},"d":true}`, "States.JsonMerge($.a, $.b, $.d)", "argument 3 (deep merge flag) must be false: only shallow merging is supported"},
		{"JsonMerge flag not boolean", `{"a":{},"b":{},"d":"false"}`, "States.JsonMerge($.a, $.b, $.d)", `must be the boolean false, got string "false"`},
	})
}

func TestJSONToStringRejectsNonJSON(t *testing.T) {
	for _, v := range []any{struct{}{}, map[string]any{"f": func() {}}} {
		_, err := mustParse(t, "States.JsonToString($.x)").Eval(func(string) (any, error) { return v, nil })
		if err == nil {
			t.Errorf("JsonToString(%T): got no error, want States.IntrinsicFailure", v)
		}
	}
}

func TestJSONFunctionsParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"States.JsonToString('x')", 20, "argument 1 (value) of States.JsonToString must be a path or an intrinsic function, not a literal"},
		{"States.JsonToString(null)", 20, "not a literal"},
		{"States.JsonToString($.a, $.b)", 0, "takes 1 argument, got 2"},
		{"States.StringToJson(1)", 20, "must be a string, got number 1"},
		{"States.JsonMerge($.a, $.b, true)", 27, "argument 3 (deep merge flag) of States.JsonMerge must be false: only shallow merging is supported"},
		{"States.JsonMerge($.a, $.b)", 0, "takes 3 arguments, got 2"},
		{"States.JsonMerge('a', $.b, false)", 17, "must be an object, got string"},
		{"States.JsonMerge(States.Array(), $.b, false)", 17, "must be an object, but States.Array returns an array"},
	})
}
