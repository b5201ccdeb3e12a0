package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/meshgate/meshgate/internal/mesh"
)

// statusByCode is the one table from error codes to HTTP statuses.
var statusByCode = map[string]int{
	mesh.EINVALID:      http.StatusBadRequest,
	mesh.EUNAUTHORIZED: http.StatusUnauthorized,
	mesh.EFORBIDDEN:    http.StatusForbidden,
	mesh.ENOTFOUND:     http.StatusNotFound,
	mesh.ECONFLICT:     http.StatusConflict,
	mesh.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	mesh.ERATELIMIT:    http.StatusTooManyRequests,
	mesh.EUNAVAILABLE:  http.StatusServiceUnavailable,
	mesh.EINTERNAL:     http.StatusInternalServerError,
	mesh.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if s, ok := statusByCode[mesh.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong. Message never carries internals.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details any    `json:"details,omitempty"`
}

// WriteError writes err in the one error shape. Internal errors are logged
// with the request id and answered with a generic message.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	body := ErrorBody{Error: ErrorDetail{Code: mesh.ErrorCode(err), Message: mesh.ErrorMessage(err)}}
	var e *mesh.Error
	if errors.As(err, &e) {
		body.Error.Field = e.Field
		body.Error.Details = e.Details
	}
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", RequestID(r.Context()), "err", err)
	}
	if status == http.StatusTooManyRequests {
		w.Header()["Retry-After"] = hdrRetryAfter
	}
	WriteJSON(w, status, body)
}
