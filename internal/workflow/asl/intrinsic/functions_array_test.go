package intrinsic

import (
	"math"
	"strings"
	"testing"
)

func TestArrayFunctions(t *testing.T) {
	nine := `{"inputArray":[1,2,3,4,5,6,7,8,9],"lookingFor":5,"index":5}`
	runEvalCases(t, []evalCase{
		// The developer guide's examples.
		{"Array doc", `{"Id":123456}`, "States.Array($.Id)", `[123456]`},
		{"ArrayPartition doc", nine, "States.ArrayPartition($.inputArray,4)", `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"ArrayContains doc", nine, "States.ArrayContains($.inputArray, $.lookingFor)", `true`},
		{"ArrayRange doc", "", "States.ArrayRange(1, 9, 2)", `[1,3,5,7,9]`},
		{"ArrayGetItem doc", nine, "States.ArrayGetItem($.inputArray, $.index)", `6`},
		{"ArrayLength doc", nine, "States.ArrayLength($.inputArray)", `9`},
		{"ArrayUnique doc", `{"inputArray":[1,2,3,3,3,3,3,3,4]}`, "States.ArrayUnique($.inputArray)", `[1,2,3,4]`},
		// The specification's example.
		{"Array spec", `{"someJson":{"random":"abcdefg"},"zebra":"stripe"}`, "States.Array('Foo', 2020, $.someJson, null)", `["Foo",2020,{"random":"abcdefg"},null]`},

		{"Array empty", "", "States.Array()", `[]`},
		{"Array literals", "", "States.Array(true, false, -1.5, 1e2, '')", `[true,false,-1.5,100,""]`},
		{"Array context path", "", "States.Array($$.Execution.Id)", `["exec-1"]`},
		{"ArrayPartition exact", nine, "States.ArrayPartition($.inputArray, 3)", `[[1,2,3],[4,5,6],[7,8,9]]`},
		{"ArrayPartition larger than array", nine, "States.ArrayPartition($.inputArray, 20)", `[[1,2,3,4,5,6,7,8,9]]`},
		{"ArrayPartition rounds chunk", nine, "States.ArrayPartition($.inputArray, 4.5)", `[[1,2,3,4,5],[6,7,8,9]]`},
		{"ArrayPartition empty", `{"a":[]}`, "States.ArrayPartition($.a, 2)", `[]`},
		{"ArrayContains missing", nine, "States.ArrayContains($.inputArray, 10)", `false`},
		{"ArrayContains object", `{"a":[{"x":[1,{"y":null}]},2]}`, "States.ArrayContains($.a, States.StringToJson('\\{\"x\":[1.0,\\{\"y\":null\\}]\\}'))", `true`},
		{"ArrayContains string is not number", `{"a":["1"]}`, "States.ArrayContains($.a, 1)", `false`},
		{"ArrayContains null", `{"a":[0,null]}`, "States.ArrayContains($.a, null)", `true`},
		// Numbers compare by value: 2^53+1 is not 2^53, though both round
		// to the same float64.
		{"ArrayContains big integer", `{"a":[9007199254740993]}`, "States.ArrayContains($.a, 9007199254740992.0)", `false`},
		{"ArrayContains integral float", `{"a":[9007199254740992]}`, "States.ArrayContains($.a, 9007199254740992.0)", `true`},
		{"ArrayRange descending", "", "States.ArrayRange(9, 1, -2)", `[9,7,5,3,1]`},
		{"ArrayRange end not reached", "", "States.ArrayRange(1, 10, 4)", `[1,5,9]`},
		{"ArrayRange single", "", "States.ArrayRange(5, 5, 3)", `[5]`},
		{"ArrayRange wrong direction", "", "States.ArrayRange(1, 9, -1)", `[]`},
		{"ArrayRange rounds", "", "States.ArrayRange(1.5, 3.4, 0.6)", `[2,3]`},
		{"ArrayRange from paths", `{"r":[-2,2,2]}`, "States.ArrayRange($.r[0], $.r[1], $.r[2])", `[-2,0,2]`},
		{"ArrayGetItem first", nine, "States.ArrayGetItem($.inputArray, 0)", `1`},
		{"ArrayGetItem integral float", nine, "States.ArrayGetItem($.inputArray, 8.0)", `9`},
		{"ArrayGetItem object", `{"a":[{"k":"v"}]}`, "States.ArrayGetItem($.a, 0)", `{"k":"v"}`},
		{"ArrayLength empty", `{"a":[]}`, "States.ArrayLength($.a)", `0`},
		{"ArrayLength nested", "", "States.ArrayLength(States.ArrayRange(1, 1000, 1))", `1000`},
		{"ArrayUnique mixed", `{"a":[{"a":1,"b":[2]},{"b":[2.0],"a":1},"1",1,1.0,null,null,true]}`, "States.ArrayUnique($.a)", `[{"a":1,"b":[2]},"1",1,null,true]`},
		{"ArrayUnique keeps order", `{"a":["b","a","b","c","a"]}`, "States.ArrayUnique($.a)", `["b","a","c"]`},
	})
}

func TestArrayFunctionsFail(t *testing.T) {
	runFailCases(t, []failCase{
		{"ArrayPartition not array", `{"a":"x"}`, "States.ArrayPartition($.a, 2)", "argument 1 (array) must be an array, got string"},
		{"ArrayPartition zero chunk", `{"a":[1],"n":0}`, "States.ArrayPartition($.a, $.n)", "argument 2 (chunk size) must be a positive integer, got 0"},
		{"ArrayPartition negative chunk", `{"a":[1],"n":-3}`, "States.ArrayPartition($.a, $.n)", "must be a positive integer"},
		{"ArrayPartition chunk string", `{"a":[1],"n":"2"}`, "States.ArrayPartition($.a, $.n)", "must be a positive integer, got string"},
		{"ArrayContains not array", `{"a":{}}`, "States.ArrayContains($.a, 1)", "must be an array, got object"},
		{"ArrayRange zero step", `{"s":0.4}`, "States.ArrayRange(1, 2, $.s)", "argument 3 (step) must not be zero"},
		{"ArrayRange too long", `{"e":1000}`, "States.ArrayRange(0, $.e, 1)", "1001 items, more than the limit of 1000"},
		{"ArrayRange huge", `{"e":9223372036854775807}`, "States.ArrayRange(-9223372036854775807, $.e, 1)", "more than the limit"},
		{"ArrayRange not number", `{"e":true}`, "States.ArrayRange(0, $.e, 1)", "argument 2 (end) must be an integer, got boolean true"},
		{"ArrayRange too large float", `{"e":1e300}`, "States.ArrayRange(0, $.e, 1)", "within the 64-bit range"},
		{"ArrayGetItem out of range", `{"a":[1,2]}`, "States.ArrayGetItem($.a, 2)", "index 2 is out of range for an array of length 2"},
		{"ArrayGetItem negative", `{"a":[1,2],"i":-1}`, "States.ArrayGetItem($.a, $.i)", "argument 2 (index) must not be negative"},
		{"ArrayGetItem fraction", `{"a":[1,2],"i":0.5}`, "States.ArrayGetItem($.a, $.i)", "must be an integer, got 0.5"},
		{"ArrayLength not array", `{"a":null}`, "States.ArrayLength($.a)", "States.ArrayLength: argument 1 (array) must be an array, got null"},
		{"ArrayUnique not array", `{"a":7}`, "States.ArrayUnique($.a)", "must be an array, got number 7"},
	})
}

func TestArrayFunctionsParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"States.ArrayLength('abc')", 19, `argument 1 (array) of States.ArrayLength must be an array, got string "abc"`},
		{"States.ArrayPartition($.a, 0)", 27, "must be a positive integer, got 0"},
		{"States.ArrayPartition($.a, 'x')", 27, "must be a positive integer"},
		{"States.ArrayRange(1, 2, 0)", 24, "argument 3 (step) of States.ArrayRange must not be zero"},
		{"States.ArrayRange(0, 1000, 1)", 0, "1001 items"},
		{"States.ArrayRange(1, 2)", 0, "States.ArrayRange takes 3 arguments, got 2"},
		{"States.ArrayGetItem($.a, -1)", 25, "must not be negative"},
		{"States.ArrayGetItem($.a, 1.5)", 25, "must be an integer, got 1.5"},
		{"States.ArrayContains($.a)", 0, "takes 2 arguments, got 1"},
		{"States.ArrayLength(States.Format('x'))", 19, "must be an array, but States.Format returns a string"},
		{"States.ArrayUnique(States.ArrayLength($.a))", 19, "must be an array, but States.ArrayLength returns a number"},
	})
}

func TestArrayRangeLen(t *testing.T) {
	const minInt, maxInt = math.MinInt64, math.MaxInt64
	for _, tc := range []struct {
		start, end, step int64
		want             uint64
	}{
		{1, 1000, 1, 1000},
		{1000, 1, -1, 1000},
		{0, 999, 1, 1000},
		{1, 9, -1, 0},
		{minInt, maxInt, 1, math.MaxUint64},
		{maxInt, minInt, -1, math.MaxUint64},
		{minInt, maxInt, maxInt, 3},
		{maxInt, minInt, minInt, 2},
	} {
		if got := rangeLen(tc.start, tc.end, tc.step); got != tc.want {
			t.Errorf("rangeLen(%d, %d, %d): got %d, want %d", tc.start, tc.end, tc.step, got, tc.want)
		}
	}
	expr := "States.ArrayRange(-9223372036854775808, $.e, 1)"
	_, err := mustParse(t, expr).Eval(resolverFor(t, `{"e":9223372036854775807}`, ""))
	if err == nil || !strings.Contains(err.Error(), "more than the limit of 1000") {
		t.Errorf("%s: got %v, want the 1000-item limit", expr, err)
	}
}
