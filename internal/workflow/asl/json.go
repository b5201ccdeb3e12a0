package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/oj"
)

// MaxPayloadSize is the largest input, output or result a state may carry, in
// bytes of UTF-8 JSON, as in Step Functions (256 KiB).
const MaxPayloadSize = 256 * 1024

// ParseJSON parses a JSON document into the value tree the interpreter works
// on: map[string]any, []any, string, bool, nil, int64 for integral numbers that
// fit and float64 for the others.
func ParseJSON(data []byte) (any, error) {
	// oj accepts some malformed documents (`{"a":}`): check strictly first.
	// JSON text must be UTF-8 (RFC 8259); invalid bytes would not survive a
	// round trip.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("parse json: invalid UTF-8")
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = fmt.Errorf("invalid json")
		}
		return nil, fmt.Errorf("parse json: %w", err)
	}
	v, err := oj.Parse(data, ojg.NumConvFloat64)
	if err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	if err := checkTree(v, 0); err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	return v, nil
}

var marshalOptions = ojg.Options{Sort: true, HTMLUnsafe: true}

// MarshalJSON renders a value tree as compact JSON with object keys sorted, so
// equal values always give equal bytes.
func MarshalJSON(v any) ([]byte, error) {
	if err := checkTree(v, 0); err != nil {
		return nil, fmt.Errorf("marshal json: %w", err)
	}
	return []byte(oj.JSON(v, &marshalOptions)), nil
}

// checkTree rejects values outside the JSON value tree, which oj would render
// in its own ways rather than fail.
func checkTree(v any, depth int) error {
	if depth > 10000 {
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
			if err := checkTree(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, e := range t {
			if err := checkTree(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("unsupported type %T", v)
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
