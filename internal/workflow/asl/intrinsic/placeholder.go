// Package intrinsic evaluates the Amazon States Language intrinsic functions.
//
// This file is a stand-in with the package's contract until the real
// implementation lands; it rejects every call.
package intrinsic

import (
	"errors"
	"strings"
)

// Error is a runtime failure of an intrinsic function.
type Error struct{ Name, Cause string }

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

// Call is a parsed intrinsic function call.
type Call struct{ expr string }

// IsIntrinsic reports whether s looks like an intrinsic function call.
func IsIntrinsic(s string) bool { return strings.HasPrefix(s, "States.") }

// Parse checks an intrinsic function call.
func Parse(expr string) (*Call, error) {
	return nil, errors.New("intrinsic functions are not available yet")
}

// Eval evaluates the call.
func (c *Call) Eval(resolve func(path string) (any, error)) (any, error) {
	return nil, &Error{Name: "States.IntrinsicFailure", Cause: "intrinsic functions are not available yet"}
}
