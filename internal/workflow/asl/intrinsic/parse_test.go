package intrinsic

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestIsIntrinsic(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"States.Array()", true},
		{"States.Anything", true},
		{"$.a", false},
		{"", false},
		{" States.Array()", false},
		{"states.Array()", false},
	} {
		if got := IsIntrinsic(tc.s); got != tc.want {
			t.Errorf("IsIntrinsic(%q): got %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestParseArguments(t *testing.T) {
	c := mustParse(t, `States.Array( 'it\'s \{x\} \\ {}' ,-0.5,12,1e3, true,false ,null,$.a['b c'][0,1],$$.Map.Item.Value,$,$v.x,States.UUID() )`)
	want := []struct {
		kind  ArgKind
		value any
		path  string
	}{
		{ArgString, `it's {x} \ {}`, ""},
		{ArgNumber, -0.5, ""},
		{ArgNumber, int64(12), ""},
		{ArgNumber, 1000.0, ""},
		{ArgBool, true, ""},
		{ArgBool, false, ""},
		{ArgNull, nil, ""},
		{ArgPath, nil, "$.a['b c'][0,1]"},
		{ArgPath, nil, "$$.Map.Item.Value"},
		{ArgPath, nil, "$"},
		{ArgPath, nil, "$v.x"},
		{ArgCall, nil, ""},
	}
	if len(c.Args) != len(want) {
		t.Fatalf("got %d arguments, want %d", len(c.Args), len(want))
	}
	for i, w := range want {
		a := c.Args[i]
		if a.Kind != w.kind || !reflect.DeepEqual(a.Value, w.value) || a.Path != w.path {
			t.Errorf("argument %d: got kind %d value %#v path %q, want kind %d value %#v path %q", i+1, a.Kind, a.Value, a.Path, w.kind, w.value, w.path)
		}
	}
	if got := c.Args[11].Call.Name; got != "States.UUID" {
		t.Errorf("got nested call %q, want States.UUID", got)
	}
	if got := c.Args[1].Pos; got != 35 {
		t.Errorf("got position %d for the second argument, want 35", got)
	}
	wantString := `States.Array('it\'s \{x\} \\ {}', -0.5, 12, 1e3, true, false, null, $.a['b c'][0,1], $$.Map.Item.Value, $, $v.x, States.UUID())`
	if got := c.String(); got != wantString {
		t.Errorf("got String %s, want %s", got, wantString)
	}
	wantPaths := []string{"$.a['b c'][0,1]", "$$.Map.Item.Value", "$", "$v.x"}
	if got := c.Paths(); !slices.Equal(got, wantPaths) {
		t.Errorf("got paths %q, want %q", got, wantPaths)
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, expr := range []string{
		"States.UUID()",
		"States.Format('a\\'b\\{\\}\\\\{}', $.x)",
		"States.Array(States.Array(States.Array(1)), $.a[?(@.b == 'x, y)')])",
		"States.MathRandom(-1, 2.5e1, 3)",
	} {
		c := mustParse(t, expr)
		again := mustParse(t, c.String())
		if again.String() != c.String() {
			t.Errorf("%s: got %s after a round trip, want %s", expr, again.String(), c.String())
		}
		if !reflect.DeepEqual(again.Paths(), c.Paths()) {
			t.Errorf("%s: got paths %q after a round trip, want %q", expr, again.Paths(), c.Paths())
		}
	}
}

func TestParseNesting(t *testing.T) {
	nest := func(n int) string {
		return strings.Repeat("States.Array(", n) + "1" + strings.Repeat(")", n)
	}
	if _, err := Parse(nest(MaxDepth)); err != nil {
		t.Errorf("%d levels: got %v, want no error", MaxDepth, err)
	}
	runParseErrCases(t, []parseErrCase{
		{nest(MaxDepth + 1), 13 * MaxDepth, "intrinsic functions nest more than 10 deep"},
	})
}

func TestParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"", 0, `an intrinsic function begins with "States."`},
		{"$.a", 0, `begins with "States."`},
		{"States.", 0, `unknown intrinsic function "States."`},
		{"States.Nope(1)", 0, `unknown intrinsic function "States.Nope"`},
		{"States.array()", 0, `unknown intrinsic function "States.array"`},
		{"States.Array", 12, `expected '(' right after States.Array, found end of input`},
		{"States.Array (1)", 12, `expected '(' right after States.Array`},
		{"States.Array(1", 12, "States.Array( is never closed"},
		{"States.Array(", 13, "expected an argument, found end of input"},
		{"States.Array(1,)", 15, `expected an argument, found ")"`},
		{"States.Array(,1)", 13, "expected an argument"},
		{"States.Array(1 2)", 15, "expected ',' or ')' in the arguments of States.Array"},
		{"States.Array(1) x", 16, `unexpected "x" after the end of the call`},
		{"States.Array(1))", 15, "after the end of the call"},
		{"States.Array('abc)", 13, "string literal is never closed"},
		{`States.Array('a\q')`, 15, `open escape \q`},
		{`States.Array('a\n')`, 15, `open escape \n`},
		{`States.Array('a\`, 15, "open escape: a backslash ends the expression"},
		{"States.Array('a{b')", 15, "unescaped '{'"},
		{"States.Array('{')", 14, "unescaped '{'"},
		{"States.Array('a}')", 15, "unescaped '}'"},
		{`States.Array("a")`, 13, `expected an argument, found "\"a\")"`},
		{"States.Array(01)", 13, "leading zeros"},
		{"States.Array(-)", 13, "expected a digit after '-'"},
		{"States.Array(1.)", 13, "expected a digit after '.'"},
		{"States.Array(.5)", 13, "expected an argument"},
		{"States.Array(1e)", 13, "expected a digit in the exponent"},
		{"States.Array(1x)", 14, "unexpected 'x' after \"1\""},
		{"States.Array(+1)", 13, "expected an argument"},
		{"States.Array(1e999)", 13, "number 1e999 is out of range"},
		{"States.Array(foo)", 13, `unexpected "foo"`},
		{"States.Array(True)", 13, `unexpected "True"`},
		{"States.Array(Foo())", 13, `unknown intrinsic function "Foo": intrinsic function names begin with "States."`},
		{"States.Array(States.UUID ())", 24, "expected '(' right after States.UUID"},
		{"States.Array(States.UUID)", 24, "expected '(' right after States.UUID, found \")\""},
		{"States.Array(States.Nope())", 13, `unknown intrinsic function "States.Nope"`},
		{"States.Array(States.UUID(1))", 13, "States.UUID takes no arguments, got 1"},
		{"States.Array($.a[0)", 18, `unbalanced ')' in path: expected ']'`},
		{"States.Array($.a[0", 13, "unbalanced brackets in path"},
		{"States.Array($.a])", 16, "unbalanced ']' in path"},
		{"States.Array($.a['b)", 13, "quoted name in path is never closed"},
		{"States.Array($.)", 13, `invalid path "$.": a path does not end with '.'`},
		{"States.Array($$x)", 13, `invalid path "$$x": unexpected 'x' after $$`},
		{"States.Array($-)", 13, `invalid path "$-"`},
	})
}

func TestParseAllowsWhitespace(t *testing.T) {
	c := mustParse(t, "States.MathAdd(\t1 ,\n 2 )  ")
	if got := c.String(); got != "States.MathAdd(1, 2)" {
		t.Errorf("got %s, want States.MathAdd(1, 2)", got)
	}
}

func TestNames(t *testing.T) {
	want := []string{
		"States.Array", "States.ArrayContains", "States.ArrayGetItem", "States.ArrayLength",
		"States.ArrayPartition", "States.ArrayRange", "States.ArrayUnique", "States.Base64Decode",
		"States.Base64Encode", "States.Format", "States.Hash", "States.JsonMerge", "States.JsonToString",
		"States.MathAdd", "States.MathRandom", "States.StringSplit", "States.StringToJson", "States.UUID",
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
