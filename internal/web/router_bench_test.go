package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/prometheus/client_golang/prometheus"
)

// benchWriter is a reusable ResponseWriter, so that the benchmarks measure
// the router and middleware rather than httptest.ResponseRecorder.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }
func (w *benchWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// nopAudit drops audit entries, so that a long benchmark does not grow a log.
type nopAudit struct{}

func (nopAudit) RecordAudit(context.Context, mesh.AuditEntry) error { return nil }

// benchRouter is the test router behind the middleware with live metrics,
// as the server runs it.
func benchRouter(b *testing.B) http.Handler {
	b.Helper()
	rt := NewRouter(tokenAuth{}, nopAudit{})
	rt.Handle("POST", "/things", Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, in)
		return nil
	})
	rt.Handle("GET", "/things/{name}", Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, http.StatusOK, map[string]string{"name": r.PathValue("name")})
		return nil
	})
	rt.Handle("GET", "/healthz", Public, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	return Middleware(rt, NewMetrics(prometheus.NewRegistry()), discardLogger())
}

// BenchmarkRouter measures one request through Middleware and Router:
// request id, headers, authentication, policy, JSON in and out, metrics.
// Run it with -cpu 1: the server's per-request CPU is what it estimates.
func BenchmarkRouter(b *testing.B) {
	h := benchRouter(b)
	body := []byte(`{"name":"orders"}`)
	cases := []struct {
		name, method, path string
		body               []byte
		want               int
	}{
		{"post_json", "POST", "/things", body, http.StatusOK},
		{"get_wildcard", "GET", "/things/orders", nil, http.StatusOK},
		{"public", "GET", "/healthz", nil, http.StatusNoContent},
		{"unauthenticated", "POST", "/things", body, http.StatusUnauthorized},
		{"not_found", "GET", "/nope", nil, http.StatusNotFound},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(c.method, c.path, nil)
			if c.name != "unauthenticated" {
				req.Header.Set("Authorization", "Bearer member")
			}
			rd := bytes.NewReader(c.body)
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				rd.Reset(c.body)
				req.Body = io.NopCloser(rd)
				req.ContentLength = int64(len(c.body))
				h.ServeHTTP(w, req)
				if w.status != c.want {
					b.Fatalf("got status %d, want %d", w.status, c.want)
				}
			}
		})
	}
}
