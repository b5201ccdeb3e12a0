package mesh

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Error codes. Each maps to one HTTP status in internal/web.
const (
	EINVALID      = "invalid"      // bad input; Field names the offending field
	ENOTFOUND     = "not_found"    // no such resource
	ECONFLICT     = "conflict"     // the resource changed or exists already
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	ETOOLARGE     = "too_large"    // a body or payload beyond its limit
	ERATELIMIT    = "rate_limited" // too many attempts
	EUNAVAILABLE  = "unavailable"  // a dependency (the store) cannot be reached
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged, not shown

	EUNSUPPORTED = "unsupported_media_type" // a body of a type the route does not take
)

// Error is the one error type meshgate's packages return for expected failures.
// Anything else reaching the API is reported as EINTERNAL without its text.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault, for EINVALID.
	Field string
	// Details carries structured extras (for example the current state of a
	// conflicting resource, or what an offboarding would affect).
	Details any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error for a kind of resource and its key.
func NotFound(kind, key string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %q not found", kind, key)}
}

// ErrorCode returns the code of err if it wraps an *Error, else EINTERNAL.
// A nil error has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err if it wraps an *Error, and a
// generic text otherwise, so that internals never leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err wraps an *Error with the given code.
func IsCode(err error, code string) bool {
	return err != nil && ErrorCode(err) == code
}

// ValueError is an UnmarshalJSON's refusal of a value of T, reason saying
// why. It is the decoder's own type error, which encoding/json completes
// with the path of the field that held the value ("grantable",
// "resource.columns"), so that the API's answer names that field.
func ValueError[T any](reason string) error {
	return &json.UnmarshalTypeError{Value: reason, Type: reflect.TypeFor[T]()}
}
