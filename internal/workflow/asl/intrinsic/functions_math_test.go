package intrinsic

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"testing"
)

func TestMathFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		// The developer guide's example.
		{"MathAdd doc", `{"value1":111,"step":-1}`, "States.MathAdd($.value1, $.step)", `110`},

		{"MathAdd literals", "", "States.MathAdd(2, 3)", `5`},
		{"MathAdd rounds half up", "", "States.MathAdd(1.5, 0)", `2`},
		{"MathAdd rounds negative half up", "", "States.MathAdd(-1.5, 0)", `-1`},
		{"MathAdd rounds down", "", "States.MathAdd(2.49, 0.2)", `2`},
		{"MathAdd int32 bounds", "", "States.MathAdd(2147483647, 2147483647)", `4294967294`},
		{"MathAdd nested", `{"a":[1,2,3]}`, "States.MathAdd(States.ArrayLength($.a), -1)", `2`},
		{"MathRandom narrow range", "", "States.MathRandom(7, 8)", `7`},
		{"MathRandom rounded bounds", "", "States.MathRandom(6.5, 7.5)", `7`},
	})
}

func TestMathRandom(t *testing.T) {
	call := mustParse(t, "States.MathRandom($.start, $.end)")
	res := resolverFor(t, `{"start":1,"end":999}`, "")
	rnd := rand.New(rand.NewPCG(3, 4))
	seen := map[int64]bool{}
	for range 2000 {
		v, err := call.EvalWith(res, rnd)
		if err != nil {
			t.Fatal(err)
		}
		n, ok := v.(int64)
		if !ok || n < 1 || n >= 999 {
			t.Fatalf("got %#v, want an int64 in [1, 999)", v)
		}
		seen[n] = true
	}
	if len(seen) < 500 {
		t.Errorf("got %d distinct values in 2000 draws, want a spread over [1, 999)", len(seen))
	}

	// The same random source gives the same numbers.
	a, _ := call.EvalWith(res, rand.New(rand.NewPCG(9, 9)))
	b, _ := call.EvalWith(res, rand.New(rand.NewPCG(9, 9)))
	if a != b {
		t.Errorf("got %v and %v from equally seeded sources, want equal numbers", a, b)
	}

	// Without a source the default one is used.
	if v, err := call.Eval(res); err != nil || v.(int64) < 1 || v.(int64) >= 999 {
		t.Errorf("Eval: got %v, %v, want an int64 in [1, 999)", v, err)
	}
}

func TestMathRandomSeed(t *testing.T) {
	seeded := mustParse(t, "States.MathRandom(1, 1000000, $.seed)")
	res := resolverFor(t, `{"seed":42}`, "")
	first, err := seeded.EvalWith(res, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(5) {
		// The evaluator's own source does not matter with a seed.
		got, err := seeded.EvalWith(res, rand.New(rand.NewPCG(i, i)))
		if err != nil {
			t.Fatal(err)
		}
		if got != first {
			t.Errorf("got %v, want %v: the same seed gives the same number", got, first)
		}
	}
	other, err := seeded.Eval(resolverFor(t, `{"seed":43}`, ""))
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Errorf("got %v for seeds 42 and 43, want different numbers", other)
	}
}

func TestMathFunctionsFail(t *testing.T) {
	runFailCases(t, []failCase{
		{"MathAdd out of int32", `{"a":2147483648}`, "States.MathAdd($.a, 1)", "argument 1 (value) must be between -2147483648 and 2147483647, got 2147483648"},
		{"MathAdd not number", `{"a":"1"}`, "States.MathAdd($.a, 1)", `argument 1 (value) must be an integer, got string "1"`},
		{"MathAdd null", `{"a":null}`, "States.MathAdd(1, $.a)", "argument 2 (value) must be an integer, got null"},
		{"MathRandom empty range", `{"s":5,"e":5}`, "States.MathRandom($.s, $.e)", "the range from 5 (inclusive) to 5 (exclusive) is empty"},
		{"MathRandom reversed", `{"s":5,"e":1}`, "States.MathRandom($.s, $.e)", "is empty"},
		{"MathRandom seed not number", `{"seed":"x"}`, "States.MathRandom(1, 2, $.seed)", "argument 3 (seed) must be an integer"},
	})
}

func TestMathFunctionsParseErrors(t *testing.T) {
	runParseErrCases(t, []parseErrCase{
		{"States.MathAdd(1)", 0, "States.MathAdd takes 2 arguments, got 1"},
		{"States.MathAdd('1', 2)", 15, "argument 1 (value) of States.MathAdd must be an integer, got string"},
		{"States.MathAdd(1, -2147483649)", 18, "must be between -2147483648 and 2147483647"},
		{"States.MathRandom(1)", 0, "States.MathRandom takes 2 or 3 arguments, got 1"},
		{"States.MathRandom(1, 2, 3, 4)", 0, "takes 2 or 3 arguments, got 4"},
		{"States.MathRandom(3, 3)", 0, "the range from 3 (inclusive) to 3 (exclusive) is empty"},
		{"States.MathRandom(1, true)", 21, "argument 2 (end) of States.MathRandom must be an integer, got boolean true"},
		{"States.UUID(1)", 0, "States.UUID takes no arguments, got 1"},
	})
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUID(t *testing.T) {
	call := mustParse(t, "States.UUID()")
	seen := map[any]bool{}
	for range 100 {
		v, err := call.Eval(nil)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := v.(string)
		if !uuidV4.MatchString(s) {
			t.Fatalf("got %q, want a version 4 UUID", v)
		}
		seen[v] = true
	}
	if len(seen) != 100 {
		t.Errorf("got %d distinct UUIDs in 100, want 100", len(seen))
	}

	a, err := call.EvalWith(nil, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := call.EvalWith(nil, rand.New(rand.NewPCG(5, 6)))
	if a != b || !uuidV4.MatchString(a.(string)) {
		t.Errorf("got %v and %v from equally seeded sources, want the same version 4 UUID", a, b)
	}
}

func TestEvalWithoutResolver(t *testing.T) {
	_, err := mustParse(t, "States.Array($.a)").Eval(nil)
	var ie *Error
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want a States.IntrinsicFailure", err)
	}
}
