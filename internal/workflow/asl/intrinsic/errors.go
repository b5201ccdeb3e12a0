package intrinsic

import "fmt"

// ErrorName is the name of the error every failed evaluation reports, as in
// Step Functions.
const ErrorName = "States.IntrinsicFailure"

// Error is a runtime failure of an intrinsic function. Name is always
// ErrorName; Cause says what went wrong.
type Error struct {
	Name  string
	Cause string
}

// Error implements error.
func (e *Error) Error() string {
	return e.Name + ": " + e.Cause
}

// failf returns a States.IntrinsicFailure with a formatted cause.
func failf(format string, args ...any) *Error {
	return &Error{Name: ErrorName, Cause: fmt.Sprintf(format, args...)}
}

// ParseError is a syntax or static error in an intrinsic function
// expression. Pos is the byte offset of the problem in Expr, counted from 0.
type ParseError struct {
	Expr string
	Pos  int
	Msg  string
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid intrinsic function at position %d: %s", e.Pos, e.Msg)
}
