package intrinsic_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/meshgate/meshgate/internal/workflow/asl/intrinsic"
)

// A resolver gives the value of each path argument; here a map stands in
// for the JSONPath evaluation of the state's input.
func Example() {
	input := map[string]any{"name": "Arnav", "items": []any{int64(1), int64(2), int64(2)}}
	resolve := func(path string) (any, error) {
		switch path {
		case "$.name":
			return input["name"], nil
		case "$.items":
			return input["items"], nil
		}
		return nil, fmt.Errorf("path %s matches nothing", path)
	}

	call, err := intrinsic.Parse("States.Format('{} has {} distinct items', $.name, States.ArrayLength(States.ArrayUnique($.items)))")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := call.Eval(resolve)
	fmt.Println(v, err)
	// Output: Arnav has 2 distinct items <nil>
}

// Parse checks a definition's expression when the definition is saved.
func ExampleParse() {
	for _, expr := range []string{
		"States.ArrayRange(1, 9, 2)",
		"States.ArrayRange(1, 9)",
		"States.Format('{} and {}', 'one')",
		"States.JsonMerge($.a, $.b, true)",
		"States.Array('it's')",
	} {
		if _, err := intrinsic.Parse(expr); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("ok:", expr)
	}
	// Output:
	// ok: States.ArrayRange(1, 9, 2)
	// invalid intrinsic function at position 0: States.ArrayRange takes 3 arguments, got 2
	// invalid intrinsic function at position 14: States.Format: the template has 2 placeholders but 1 value is given
	// invalid intrinsic function at position 27: argument 3 (deep merge flag) of States.JsonMerge must be false: only shallow merging is supported
	// invalid intrinsic function at position 17: expected ',' or ')' in the arguments of States.Array, found "s')" (write \' for a quote inside a string)
}

// Failures at run time are States.IntrinsicFailure errors, which a Catch
// can handle.
func ExampleError() {
	call, _ := intrinsic.Parse("States.ArrayGetItem($.list, 5)")
	_, err := call.Eval(func(string) (any, error) { return []any{"a", "b"}, nil })
	var failure *intrinsic.Error
	if errors.As(err, &failure) {
		fmt.Println(failure.Name)
		fmt.Println(failure.Cause)
	}
	// Output:
	// States.IntrinsicFailure
	// States.ArrayGetItem: index 5 is out of range for an array of length 2
}

// EvalWith takes the random source, so tests see the same numbers each run.
func ExampleCall_EvalWith() {
	call, _ := intrinsic.Parse("States.Array(States.MathRandom(1, 7), States.UUID())")
	a, _ := call.EvalWith(nil, rand.New(rand.NewPCG(1, 2)))
	b, _ := call.EvalWith(nil, rand.New(rand.NewPCG(1, 2)))
	fmt.Println(fmt.Sprint(a) == fmt.Sprint(b))
	// Output: true
}

func ExampleCall_String() {
	call, _ := intrinsic.Parse(`States.Format(  'It\'s {}' ,$.who )`)
	fmt.Println(call)
	// Output: States.Format('It\'s {}', $.who)
}
