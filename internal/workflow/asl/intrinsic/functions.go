package intrinsic

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxEncodingInput is the longest string, in characters, that
// States.Base64Encode, States.Base64Decode and States.Hash accept.
const maxEncodingInput = 10000

// maxRangeItems is the largest array States.ArrayRange builds.
const maxRangeItems = 1000

// jsonType is a set of JSON types; 0 stands for any type.
type jsonType uint8

// The JSON types.
const (
	tNull jsonType = 1 << iota
	tBool
	tNumber
	tString
	tArray
	tObject

	tAny    jsonType = 0
	tScalar          = tNull | tBool | tNumber | tString
)

// String names the types in the set, for error messages.
func (t jsonType) String() string {
	if t == tAny {
		return "any value"
	}
	if t == tScalar {
		return "a string, number, boolean or null"
	}
	var names []string
	for _, n := range []struct {
		t    jsonType
		name string
	}{{tNull, "null"}, {tBool, "a boolean"}, {tNumber, "a number"}, {tString, "a string"}, {tArray, "an array"}, {tObject, "an object"}} {
		if t&n.t != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " or ")
}

// param describes one parameter of a function.
type param struct {
	name string
	// types are the JSON types the parameter accepts; Parse rejects a
	// nested call whose result can never be one of them.
	types jsonType
	// conv checks an argument's value and converts it for eval: to int64
	// for integers, for instance. nil accepts any value unchanged. Parse
	// applies it to literal arguments too.
	conv func(v any) (any, error)
	// noLiteral requires a path or a nested call.
	noLiteral bool
}

// function describes one intrinsic function.
type function struct {
	name     string
	min, max int      // argument counts; max < 0 means no limit
	result   jsonType // the type of the result; tAny when it depends on the input
	params   []param  // the last one repeats for further arguments
	// check performs static checks across arguments of a parsed call; it
	// returns the position and text of a problem, or "" when there is none.
	// It may be nil.
	check func(c *Call) (pos int, msg string)
	// eval computes the result from the converted argument values.
	eval func(e *evaluator, c *Call, args []any) (any, error)
}

func (f *function) param(i int) param {
	if len(f.params) == 0 {
		return param{name: "argument"}
	}
	if i < len(f.params) {
		return f.params[i]
	}
	return f.params[len(f.params)-1]
}

// arity describes how many arguments f takes, for error messages.
func (f *function) arity() string {
	switch {
	case f.max == 0:
		return "no arguments"
	case f.max < 0 && f.min == 0:
		return "any number of arguments"
	case f.max < 0:
		return fmt.Sprintf("at least %d %s", f.min, plural(f.min, "argument"))
	case f.min == f.max:
		return fmt.Sprintf("%d %s", f.min, plural(f.min, "argument"))
	case f.max == f.min+1:
		return fmt.Sprintf("%d or %d arguments", f.min, f.max)
	}
	return fmt.Sprintf("%d to %d arguments", f.min, f.max)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// functions maps each intrinsic function name to its description.
var functions = map[string]*function{}

func register(fs ...*function) {
	for _, f := range fs {
		functions[f.name] = f
	}
}

// Names returns the names of the supported intrinsic functions, sorted.
func Names() []string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Conversions used as param.conv.

func toString(v any) (any, error) {
	if _, ok := v.(string); !ok {
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	}
	return v, nil
}

func toArray(v any) (any, error) {
	if _, ok := v.([]any); !ok {
		return nil, fmt.Errorf("must be an array, got %s", describe(v))
	}
	return v, nil
}

func toObject(v any) (any, error) {
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("must be an object, got %s", describe(v))
	}
	return v, nil
}

func toRoundedInt(v any) (any, error) {
	i, err := roundToInt(v)
	if err != nil {
		return nil, err
	}
	return i, nil
}

func toPositiveInt(v any) (any, error) {
	i, err := roundToInt(v)
	if err != nil {
		return nil, errors.New("must be a positive integer, got " + describe(v))
	}
	if i <= 0 {
		return nil, fmt.Errorf("must be a positive integer, got %d", i)
	}
	return i, nil
}

func toNonZeroInt(v any) (any, error) {
	i, err := roundToInt(v)
	if err != nil {
		return nil, err
	}
	if i == 0 {
		return nil, errors.New("must not be zero")
	}
	return i, nil
}

func toInt32(v any) (any, error) {
	i, err := roundToInt(v)
	if err != nil {
		return nil, err
	}
	if i < math.MinInt32 || i > math.MaxInt32 {
		return nil, fmt.Errorf("must be between %d and %d, got %d", math.MinInt32, math.MaxInt32, i)
	}
	return i, nil
}

func toIndex(v any) (any, error) {
	i, err := exactInt(v)
	if err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, fmt.Errorf("must not be negative, got %d", i)
	}
	return i, nil
}

// toLimitedString accepts a string of at most maxEncodingInput characters.
func toLimitedString(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	}
	if n := utf8.RuneCountInString(s); n > maxEncodingInput {
		return nil, fmt.Errorf("must be at most %d characters long, got %d", maxEncodingInput, n)
	}
	return s, nil
}

func toScalar(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool:
		return v, nil
	}
	if _, ok := toNumber(v); ok {
		return v, nil
	}
	return nil, fmt.Errorf("must be a string, number, boolean or null, got %s", typeName(v))
}

func toFalse(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("must be the boolean false, got %s", describe(v))
	}
	if b {
		return nil, errors.New("must be false: only shallow merging is supported")
	}
	return false, nil
}

func toDelimiters(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	}
	if s == "" {
		return nil, errors.New("must not be empty")
	}
	return s, nil
}

// quoteList writes names as 'a', 'b' or 'c'.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
