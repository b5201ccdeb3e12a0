package intrinsic

import "testing"

func TestStringFunctions(t *testing.T) {
	person := `{"name":"Arnav","template":"Hello, my name is {}.","firstName":"Ana","lastName":"Ng"}`
	runEvalCases(t, []evalCase{
		// The developer guide's examples.
		{"Format doc literal", person, "States.Format('Hello, my name is {}.', $.name)", `"Hello, my name is Arnav."`},
		{"Format doc path", person, "States.Format($.template, $.name)", `"Hello, my name is Arnav."`},
		{"StringSplit doc", `{"inputString":"1,2,3,4,5","splitter":","}`, "States.StringSplit($.inputString, $.splitter)", `["1","2","3","4","5"]`},
		{"StringSplit doc several", `{"inputString":"This.is+a,test=string","splitter":".+,="}`, "States.StringSplit($.inputString, $.splitter)", `["This","is","a","test","string"]`},
		// The specification's examples.
		{"Format spec", `{"name":"Foo","zebra":"stripe"}`, "States.Format('Your name is {}, we are in the year {}', $.name, 2020)", `"Your name is Foo, we are in the year 2020"`},
		{"Format spec escape", person, `States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName)`, `"Welcome to Ana Ng's playlist."`},

		{"Format no placeholders", "", "States.Format('plain')", `"plain"`},
		{"Format escaped braces", "", `States.Format('\{\} \{{}\} \\ \'', 7)`, `"{} {7} \\ '"`},
		{"Format scalars", `{"f":1.25,"n":null,"b":false,"big":12345678901234567}`, "States.Format('{}|{}|{}|{}|{}', $.f, $.n, $.b, $.big, -0.5)", `"1.25|null|false|12345678901234567|-0.5"`},
		{"Format path template escapes are text", `{"t":"\\{} {}"}`, "States.Format($.t, 1, 2)", `"\\1 2"`},
		{"Format nested", `{"arn":"arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/sample/1.2.3"}`,
			"States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 1))",
			`"1.2"`},
		{"Format unicode", `{"v":"é✓"}`, "States.Format('« {} »', $.v)", `"« é✓ »"`},
		{"StringSplit literal", "", "States.StringSplit('a b  c', ' ')", `["a","b","c"]`},
		{"StringSplit drops empty pieces", "", "States.StringSplit(',a,,b,', ',')", `["a","b"]`},
		{"StringSplit no delimiter found", "", "States.StringSplit('abc', ';')", `["abc"]`},
		{"StringSplit empty string", "", "States.StringSplit('', ',')", `[]`},
		{"StringSplit unicode delimiter", "", "States.StringSplit('a→b→c', '→')", `["a","b","c"]`},
	})
}

func TestStringFunctionsFail(t *testing.T) {
	runFailCases(t, []failCase{
		{"Format too few values", `{"t":"{} and {}"}`, "States.Format($.t, 1)", "the template has 2 placeholders but 1 value is given"},
		{"Format too many values", `{"t":"none"}`, "States.Format($.t, 1, 2)", "the template has 0 placeholders but 2 values are given"},
		{"Format template not string", `{"t":5}`, "States.Format($.t)", "argument 1 (template) must be a string, got number 5"},
		{"Format object value", `{"o":{"a":1}}`, "States.Format('{}', $.o)", "argument 2 (value) must be a string, number, boolean or null, got object"},
		{"Format array value", `{"o":[1]}`, "States.Format('{}', $.o)", "got array"},
		{"StringSplit not string", `{"s":[1]}`, "States.StringSplit($.s, ',')", "argument 1 (string) must be a string, got array"},
		{"StringSplit empty delimiters", `{"d":""}`, "States.StringSplit('a', $.d)", "argument 2 (delimiters) must not be empty"},
	})
}

func TestStringFunctionsParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"States.Format()", 0, "States.Format takes at least 1 argument, got 0"},
		{"States.Format(1)", 14, "argument 1 (template) of States.Format must be a string, got number 1"},
		{"States.Format('{} {}', 1)", 14, "the template has 2 placeholders but 1 value is given"},
		{"States.Format('x', 1)", 14, "the template has 0 placeholders but 1 value is given"},
		{`States.Format('\{\}', 1)`, 14, "the template has 0 placeholders"},
		{`States.Format('\{}', 1)`, 17, "unescaped '}'"},
		// The developer guide's nine-function example has three placeholders
		// and two values, which the specification forbids.
		{"States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))", 14, "3 placeholders but 2 values"},
		{"States.Format('{}', States.Array(1))", 20, "must be a string, number, boolean or null, but States.Array returns an array"},
		{"States.StringSplit('a', '')", 24, "argument 2 (delimiters) of States.StringSplit must not be empty"},
		{"States.StringSplit('a', 1)", 24, "must be a string, got number 1"},
		{"States.StringSplit('a')", 0, "takes 2 arguments, got 1"},
	})
}
