// Package jsonvalue parses JSON text into the value tree the states
// language works on: map[string]any, []any, string, bool, nil, int64 for
// integral numbers that fit and float64 for the others. Definitions,
// execution input, stored state and States.StringToJson all parse through
// it, so each reads a JSON text the same way.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/oj"
)

// Parse parses one JSON text strictly (RFC 8259) into a value tree.
func Parse(data []byte) (any, error) {
	// oj accepts some malformed documents (`{"a":}`): check strictly first.
	// JSON text must be UTF-8 (RFC 8259); invalid bytes would not survive a
	// round trip.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8")
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = fmt.Errorf("invalid json")
		}
		return nil, err
	}
	var v any
	var err error
	if needsStd(data) {
		// oj decodes each half of an escaped surrogate pair on its own, as
		// two replacement characters, and reads integers of 19 digits or
		// more as float64, losing those that fit int64; encoding/json does
		// neither, and is slower, so it reads only such texts
		v, err = parseStd(data)
	} else {
		v, err = oj.Parse(data, ojg.NumConvFloat64)
	}
	if err != nil {
		return nil, err
	}
	if err := Check(v); err != nil {
		return nil, err
	}
	return v, nil
}

// needsStd reports, in one pass over data, whether it holds what oj reads
// wrong: an escape of a UTF-16 surrogate (\uD800 to \uDFFF, either case),
// the way JSON writes a character beyond the Basic Multilingual Plane as
// ASCII, or 19 digits in a row (in a number or a string), the shortest
// integers oj reads as float64.
func needsStd(data []byte) bool {
	digits := 0
	for i, c := range data {
		if c >= '0' && c <= '9' {
			if digits++; digits >= 19 {
				return true
			}
			continue
		}
		digits = 0
		if c == '\\' && i+3 < len(data) && data[i+1] == 'u' && (data[i+2]|0x20) == 'd' && strings.IndexByte("89abAB", data[i+3]) >= 0 {
			return true
		}
	}
	return false
}

// parseStd decodes a valid JSON text with encoding/json, numbers as Parse
// gives them.
func parseStd(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v)
}

func numbers(v any) (any, error) {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, err
		}
		return f, nil // an infinity fails Check
	case map[string]any:
		for k, e := range t {
			n, err := numbers(e)
			if err != nil {
				return nil, err
			}
			t[k] = n
		}
	case []any:
		for i, e := range t {
			n, err := numbers(e)
			if err != nil {
				return nil, err
			}
			t[i] = n
		}
	}
	return v, nil
}

// Check rejects values outside the value tree, and numbers JSON cannot
// hold (NaN, infinities).
func Check(v any) error { return check(v, 0) }

// maxDepth bounds the nesting Check accepts.
const maxDepth = 10000

func check(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("value nested too deeply")
	}
	switch t := v.(type) {
	case nil, bool, string, int64, int:
		return nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("number out of range: %v", t)
		}
		return nil
	case map[string]any:
		for _, e := range t {
			if err := check(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, e := range t {
			if err := check(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("unsupported type %T", v)
	}
}

// CompareNumbers compares two numbers of the value tree (int64, int or
// float64) by their exact values: -1, 0 or 1, and ok false when either is
// not a number or is NaN. An integer and a float64 are not compared as two
// float64s, which would round integers beyond 2^53 to their neighbours.
func CompareNumbers(a, b any) (c int, ok bool) {
	x, xInt, xOK := number(a)
	y, yInt, yOK := number(b)
	switch {
	case !xOK || !yOK:
		return 0, false
	case xInt && yInt:
		return cmpInt(x.(int64), y.(int64)), true
	case xInt:
		c, ok := cmpIntFloat(x.(int64), y.(float64))
		return c, ok
	case yInt:
		c, ok := cmpIntFloat(y.(int64), x.(float64))
		return -c, ok
	}
	f, g := x.(float64), y.(float64)
	switch {
	case math.IsNaN(f) || math.IsNaN(g):
		return 0, false
	case f < g:
		return -1, true
	case f > g:
		return 1, true
	}
	return 0, true
}

func number(v any) (n any, isInt, ok bool) {
	switch t := v.(type) {
	case int64:
		return t, true, true
	case int:
		return int64(t), true, true
	case float64:
		return t, false, true
	}
	return nil, false, false
}

func cmpInt(i, j int64) int {
	switch {
	case i < j:
		return -1
	case i > j:
		return 1
	}
	return 0
}

// cmpIntFloat compares an integer with a float64 exactly.
func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 1<<63:
		return -1, true
	case f < -(1 << 63):
		return 1, true
	}
	// f is now within int64's range, so its integral part converts exactly.
	t := math.Trunc(f)
	if c := cmpInt(i, int64(t)); c != 0 {
		return c, true
	}
	switch frac := f - t; {
	case frac > 0:
		return -1, true
	case frac < 0:
		return 1, true
	}
	return 0, true
}
