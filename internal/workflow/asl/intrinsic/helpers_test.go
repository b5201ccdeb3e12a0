package intrinsic

import (
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ohler55/ojg/jp"
	"github.com/ohler55/ojg/oj"
)

// errNoMatch is the fake resolvers' error for a path that selects nothing.
var errNoMatch = errors.New("States.Runtime: path matches nothing")

// resolverFor returns a resolver that evaluates paths with ojg's jp against
// the JSON texts input ($…) and context ($$…).
func resolverFor(t testing.TB, input, context string) Resolver {
	t.Helper()
	doc := mustJSON(t, input)
	ctx := mustJSON(t, context)
	return func(path string) (any, error) {
		data := doc
		if strings.HasPrefix(path, "$$") {
			data, path = ctx, path[1:]
		}
		x, err := jp.ParseString(path)
		if err != nil {
			return nil, err
		}
		got := x.Get(data)
		if len(got) != 1 {
			return nil, errNoMatch
		}
		return got[0], nil
	}
}

func mustJSON(t testing.TB, text string) any {
	t.Helper()
	if text == "" {
		return map[string]any{}
	}
	v, err := oj.ParseString(text)
	if err != nil {
		t.Fatalf("bad JSON in test %q: %v", text, err)
	}
	return v
}

func mustParse(t testing.TB, expr string) *Call {
	t.Helper()
	c, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return c
}

// evalCase is an expression, its input and the expected result as JSON.
type evalCase struct {
	name  string
	input string
	expr  string
	want  string
}

// runEvalCases evaluates each case with a seeded random source and compares
// the compact JSON of the result with want's.
func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.expr)
			got, err := c.EvalWith(resolverFor(t, tc.input, `{"Execution":{"Id":"exec-1"}}`), rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.expr, err)
			}
			gotJSON, err := marshalJSON(got)
			if err != nil {
				t.Fatalf("result %#v: %v", got, err)
			}
			wantJSON, err := marshalJSON(mustJSON(t, tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if gotJSON != wantJSON {
				t.Errorf("%s: got %s, want %s", tc.expr, gotJSON, wantJSON)
			}
		})
	}
}

// failCase is an expression that parses but fails at evaluation with a
// cause containing cause.
type failCase struct {
	name  string
	input string
	expr  string
	cause string
}

func runFailCases(t *testing.T, cases []failCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.expr)
			got, err := c.Eval(resolverFor(t, tc.input, ""))
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("%s: got %#v, %v, want a States.IntrinsicFailure", tc.expr, got, err)
			}
			if ie.Name != "States.IntrinsicFailure" {
				t.Errorf("got name %q, want States.IntrinsicFailure", ie.Name)
			}
			if !strings.Contains(ie.Cause, tc.cause) {
				t.Errorf("got cause %q, want it to contain %q", ie.Cause, tc.cause)
			}
		})
	}
}

// parseErrCase is an expression that Parse rejects.
type parseErrCase struct {
	expr string
	pos  int
	msg  string
}

func runParseErrCases(t *testing.T, cases []parseErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			c, err := Parse(tc.expr)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): got %v, %v, want a *ParseError", tc.expr, c, err)
			}
			if pe.Pos != tc.pos {
				t.Errorf("got position %d, want %d (%v)", pe.Pos, tc.pos, err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got message %q, want it to contain %q", pe.Msg, tc.msg)
			}
			if !strings.Contains(err.Error(), "position") {
				t.Errorf("got error text %q, want it to name the position", err.Error())
			}
		})
	}
}

func base64Std(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}
