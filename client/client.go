// Package client is a Go client of meshgate's REST API. The CLI uses it, and
// so do the tests. Each area's calls live in the file named after it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one meshgate server.
type Client struct {
	endpoint string
	token    string
	http     *http.Client
}

// New returns a client of the server at endpoint (such as
// http://127.0.0.1:8080) that authenticates with token (may be empty).
func New(endpoint, token string) *Client {
	return &Client{
		endpoint: strings.TrimRight(endpoint, "/"),
		token:    token,
		http:     &http.Client{Timeout: 60 * time.Second, CheckRedirect: noRedirects},
	}
}

// noRedirects makes a redirect the answer: meshgate's API does not redirect,
// and following one would turn a POST into a GET that reads instead of
// changing, and looks like a success.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// WithHTTPClient returns a copy of c using hc (for cookie jars and tests).
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cp := *c
	cp.http = hc
	return &cp
}

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// Endpoint returns the server's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

// Error is an error answered by the server, in its one error shape.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details any    `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%d): %s: %s", e.Code, e.Status, e.Field, e.Message)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

// Do sends a request with in as its JSON body (nil for none) and decodes the
// JSON answer into out (nil to discard it). Non-2xx answers become *Error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.do(ctx, method, path, query, nil, in, out)
}

// do is Do with extra request headers.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, header http.Header, in, out any) error {
	return c.doWithStatus(ctx, method, path, query, header, in, out, nil)
}

// doWithStatus is do that also reports the answer's status code.
func (c *Client) doWithStatus(ctx context.Context, method, path string, query url.Values, header http.Header, in, out any, status *int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if status != nil {
		*status = resp.StatusCode
	}
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s response: %w", method, path, err)
	}
	return nil
}

// UnreachableError means that no server answered at the client's endpoint:
// nothing listens there, or the host is unknown or unreachable. The request
// was never sent, so it changed nothing.
type UnreachableError struct {
	Endpoint string
	Err      error // the dial error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("no meshgate server at %s (%v)", e.Endpoint, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable turns a failed dial into *UnreachableError; other transport
// errors (a reset or a timeout after the request went out) stay as they are,
// since the server may have acted on the request.
func (c *Client) unreachable(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		cause := op.Err
		if cause == nil {
			cause = op
		}
		return &UnreachableError{Endpoint: c.endpoint, Err: cause}
	}
	return err
}

func decodeError(resp *http.Response) error {
	if loc, err := resp.Location(); err == nil && resp.StatusCode < 400 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return &Error{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode),
			Message: fmt.Sprintf("redirected to %s, which the API never does: is the endpoint right (https)?", loc)}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		env.Error.Status = resp.StatusCode
		return env.Error
	}
	return &Error{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode), Message: strings.TrimSpace(string(b))}
}

// Health calls /healthz.
func (c *Client) Health(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Ready calls /readyz.
func (c *Client) Ready(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
}

// PathEscape escapes one path segment.
func PathEscape(s string) string { return url.PathEscape(s) }
