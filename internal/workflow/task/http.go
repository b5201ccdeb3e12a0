package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/workflow"
	"github.com/meshgate/meshgate/internal/workflow/asl"
)

// HTTP error names a state's Retry and Catch may match.
const (
	// ErrHTTPStatus prefixes the error of a non-2xx answer: "HTTP.StatusCode.404".
	ErrHTTPStatus = "HTTP.StatusCode."
	// ErrHTTPError is a request that got no answer (DNS, connection, TLS, timeout).
	ErrHTTPError = "HTTP.Error"
	// ErrHTTPInvalid is a bad Parameters object (method, URL, scheme, headers).
	ErrHTTPInvalid = "HTTP.InvalidParameters"
)

// maxResponse bounds the response body kept (the payload limit).
const maxResponse = asl.MaxPayloadSize

// HTTPOptions tune the HTTP task.
type HTTPOptions struct {
	// Client sends the requests (default: a client without its own timeout;
	// the task's timeout bounds each call).
	Client *http.Client
}

// HTTP is the HTTPInvoke resource. Its input (the state's Parameters) is
//
//	{"Method": "POST", "Url": "https://...", "Headers": {"name": "value"},
//	 "Body": <any JSON, sent as JSON; a string is sent as is>, "TimeoutSeconds": 10}
//
// Only http and https URLs are allowed. A 2xx answer gives
// {"StatusCode": 200, "Headers": {...}, "Body": <JSON if the answer is JSON, else text>}.
// A non-2xx answer fails with "HTTP.StatusCode.<code>" (cause: the start of
// the body); no answer fails with "HTTP.Error"; bad Parameters with
// "HTTP.InvalidParameters". Each request carries the attempt's dedupe key in
// the Idempotency-Key header. A request is bounded by the Parameters'
// TimeoutSeconds, the state's TimeoutSeconds (default 60 s) and the outbox
// lease (105 s), whichever is shortest; it then fails with States.Timeout.
type HTTP struct {
	client *http.Client
}

// NewHTTP returns the HTTP task.
func NewHTTP(opts HTTPOptions) *HTTP {
	c := opts.Client
	if c == nil {
		c = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL is not allowed", req.URL.Scheme)
			}
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		}}
	}
	return &HTTP{client: c}
}

// Invoke runs one request.
func (h *HTTP) Invoke(ctx context.Context, input any, meta workflow.TaskMeta) (any, error) {
	in, ok := input.(map[string]any)
	if !ok {
		return nil, workflow.Errorf(ErrHTTPInvalid, "the input must be an object with Method and Url")
	}
	method, _ := in["Method"].(string)
	if method == "" {
		method = http.MethodGet
	}
	method = strings.ToUpper(method)
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		return nil, workflow.Errorf(ErrHTTPInvalid, "Method %q is not supported", method)
	}
	raw, _ := in["Url"].(string)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, workflow.Errorf(ErrHTTPInvalid, "%s", mesh.HTTPTaskURLCause(raw))
	}
	if t, ok := in["TimeoutSeconds"].(int64); ok && t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	var body io.Reader
	contentType := ""
	if b, ok := in["Body"]; ok && b != nil {
		if s, ok := b.(string); ok {
			body, contentType = strings.NewReader(s), "text/plain; charset=utf-8"
		} else {
			j, err := asl.MarshalJSON(b)
			if err != nil {
				return nil, workflow.Errorf(ErrHTTPInvalid, "Body: %v", err)
			}
			body, contentType = bytes.NewReader(j), "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, workflow.Errorf(ErrHTTPInvalid, "%v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "meshgate-workflow")
	if meta.DedupeKey != "" {
		req.Header.Set("Idempotency-Key", meta.DedupeKey)
	}
	if hs, ok := in["Headers"].(map[string]any); ok {
		for k, v := range hs {
			s, ok := v.(string)
			if !ok {
				return nil, workflow.Errorf(ErrHTTPInvalid, "header %q must be a string", k)
			}
			req.Header.Set(k, s)
		}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, workflow.Errorf(asl.ErrTimeout, "the HTTP request timed out")
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		// the history keeps a failed task's cause: it names the endpoint
		// without its path, query and credentials, where secrets travel
		return nil, workflow.Errorf(ErrHTTPError, "%s %s: %v", method, mesh.RedactURL(u.String()), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, workflow.Errorf(ErrHTTPError, "read the answer: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		cause := string(data)
		if len(cause) > 1024 {
			cause = cause[:1024]
		}
		return nil, workflow.Errorf(fmt.Sprintf("%s%d", ErrHTTPStatus, resp.StatusCode), "%s %s answered %s: %s", method, mesh.RedactURL(u.String()), resp.Status, cause)
	}
	if len(data) > maxResponse {
		return nil, workflow.Errorf(asl.ErrDataLimitExceeded, "the answer is larger than %d bytes", maxResponse)
	}
	headers := map[string]any{}
	for k := range resp.Header {
		headers[k] = resp.Header.Get(k)
	}
	var out any = string(data)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(data) > 0 {
		if v, err := asl.ParseJSON(data); err == nil {
			out = v
		}
	}
	return map[string]any{"StatusCode": int64(resp.StatusCode), "Headers": headers, "Body": out}, nil
}
