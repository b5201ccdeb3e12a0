package asl

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/meshgate/meshgate/internal/workflow/asl/jsonvalue"
	"github.com/ohler55/ojg"
)

// MaxPayloadSize is the largest input, output or result a state may carry, in
// bytes of UTF-8 JSON, as in Step Functions (256 KiB).
const MaxPayloadSize = 256 * 1024

// ParseJSON parses a JSON document into the value tree the interpreter works
// on: map[string]any, []any, string, bool, nil, int64 for integral numbers that
// fit and float64 for the others (package jsonvalue).
func ParseJSON(data []byte) (any, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	return v, nil
}

// MarshalJSON renders a value tree as compact JSON with object keys sorted, so
// equal values always give equal bytes: strings as ojg writes them (without
// HTML escapes), numbers as strconv formats them. It checks the tree as it
// goes: anything outside it, and numbers JSON cannot hold, are errors. The
// engine renders every history event's details with it, so it writes in one
// pass, sorting each object's keys in place of a sorted copy of the object.
func MarshalJSON(v any) ([]byte, error) {
	b, err := appendJSON(make([]byte, 0, 256), v, 0)
	if err != nil {
		return nil, fmt.Errorf("marshal json: %w", err)
	}
	return b, nil
}

func appendJSON(b []byte, v any, depth int) ([]byte, error) {
	if depth > 10000 {
		return nil, fmt.Errorf("value nested too deeply")
	}
	var err error
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case string:
		return ojg.AppendJSONString(b, t, false), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("number out of range: %v", t)
		}
		return strconv.AppendFloat(b, t, 'g', -1, 64), nil
	case map[string]any:
		var small [16]string
		keys := small[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = ojg.AppendJSONString(b, k, false)
			b = append(b, ':')
			if b, err = appendJSON(b, t[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
}

// CheckPayloadSize returns a States.DataLimitExceeded *StateError when the JSON
// form of v is larger than MaxPayloadSize; what names the payload in the cause
// ("the state input", "the task result", ...).
func CheckPayloadSize(v any, what string) error {
	b, err := MarshalJSON(v)
	if err != nil {
		return &StateError{Name: ErrRuntime, Cause: err.Error()}
	}
	if len(b) > MaxPayloadSize {
		return &StateError{Name: ErrDataLimitExceeded,
			Cause: fmt.Sprintf("%s has a size of %d bytes, more than the limit of %d bytes", what, len(b), MaxPayloadSize)}
	}
	return nil
}
