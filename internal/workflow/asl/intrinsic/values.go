package intrinsic

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/meshgate/meshgate/internal/workflow/asl/jsonvalue"
)

// number is a JSON number: an integer when isInt, a float otherwise.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// value returns the number as the value tree holds it: int64 or float64.
func (n number) value() any {
	if n.isInt {
		return n.i
	}
	return n.f
}

// toNumber reports whether v is a JSON number and returns it.
func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case int64:
		return number{i: n, isInt: true}, true
	case float64:
		return number{f: n}, true
	case int:
		return number{i: int64(n), isInt: true}, true
	case int8:
		return number{i: int64(n), isInt: true}, true
	case int16:
		return number{i: int64(n), isInt: true}, true
	case int32:
		return number{i: int64(n), isInt: true}, true
	case uint8:
		return number{i: int64(n), isInt: true}, true
	case uint16:
		return number{i: int64(n), isInt: true}, true
	case uint32:
		return number{i: int64(n), isInt: true}, true
	case uint:
		return fromUint(uint64(n)), true
	case uint64:
		return fromUint(n), true
	case float32:
		return number{f: float64(n)}, true
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return number{i: i, isInt: true}, true
		}
		if f, err := n.Float64(); err == nil {
			return number{f: f}, true
		}
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u <= math.MaxInt64 {
		return number{i: int64(u), isInt: true}
	}
	return number{f: float64(u)}
}

// roundToInt converts a number to an integer the way Step Functions does
// (Java's Math.round: the nearest integer, halves rounded up).
func roundToInt(v any) (int64, error) {
	n, ok := toNumber(v)
	if !ok {
		return 0, fmt.Errorf("must be an integer, got %s", describe(v))
	}
	if n.isInt {
		return n.i, nil
	}
	f := n.f
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("must be an integer, got %v", f)
	}
	t := math.Floor(f)
	if f-t >= 0.5 {
		t++
	}
	if t < -(1<<63) || t >= 1<<63 {
		return 0, fmt.Errorf("must be an integer within the 64-bit range, got %s", formatNumber(n))
	}
	return int64(t), nil
}

// exactInt converts a number with no fractional part to an integer.
func exactInt(v any) (int64, error) {
	n, ok := toNumber(v)
	if !ok {
		return 0, fmt.Errorf("must be an integer, got %s", describe(v))
	}
	if n.isInt {
		return n.i, nil
	}
	if n.f != math.Trunc(n.f) || n.f < -(1<<63) || n.f >= 1<<63 {
		return 0, fmt.Errorf("must be an integer, got %s", formatNumber(n))
	}
	return int64(n.f), nil
}

// formatNumber writes a number as JSON does.
func formatNumber(n number) string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return strconv.FormatFloat(n.f, 'g', -1, 64)
}

// typeName names the JSON type of v.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if _, ok := toNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("unsupported value of Go type %T", v)
}

// describe names the type of v and, for short scalars, its value.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean " + strconv.FormatBool(t)
	case string:
		if len(t) <= 40 {
			return "string " + strconv.Quote(t)
		}
		return "string"
	}
	if n, ok := toNumber(v); ok {
		return "number " + formatNumber(n)
	}
	return typeName(v)
}

// equal reports whether two JSON values are equal; numbers compare by value,
// so 1 equals 1.0.
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	m, ok := toNumber(a)
	if !ok {
		return false
	}
	n, ok := toNumber(b)
	if !ok {
		return false
	}
	c, ok := jsonvalue.CompareNumbers(m.value(), n.value())
	return ok && c == 0
}

// appendKey appends a canonical text for v: equal values get equal keys.
func appendKey(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return strconv.AppendQuote(buf, x)
	case bool:
		return strconv.AppendBool(buf, x)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendKey(buf, e)
		}
		return append(buf, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendQuote(buf, k)
			buf = append(buf, ':')
			buf = appendKey(buf, x[k])
		}
		return append(buf, '}')
	}
	if n, ok := toNumber(v); ok {
		if !n.isInt && n.f == math.Trunc(n.f) && n.f >= -(1<<63) && n.f < 1<<63 {
			n = number{i: int64(n.f), isInt: true}
		}
		return append(buf, formatNumber(n)...)
	}
	return fmt.Appendf(buf, "<%T %v>", v, v)
}
