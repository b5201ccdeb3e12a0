package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var timeNow = func() time.Time { return time.Now().UTC() }

func funcID(f any) uintptr { return reflect.ValueOf(f).Pointer() }

type ctxKey int

const requestInfoKey ctxKey = iota

// requestInfo is what Middleware keeps per request in the context: one
// value, so that a request costs one context and one request copy.
type requestInfo struct {
	id string
	// addr is the caller's address, as the router resolved it (ClientAddr).
	addr string
	// route lets the router tell the outer middleware which route matched,
	// so metrics are labelled by route, not by raw path.
	route atomic.Pointer[routeEntry]
}

// RequestID returns the request's id, set by Middleware.
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey).(*requestInfo)
	return info
}

// ClientAddr returns the caller's IP address (without port): the address the
// router resolved, which believes X-Forwarded-For only from the proxies it
// trusts (Router.TrustProxies); before the router, the connection's peer.
func ClientAddr(r *http.Request) string {
	if info := requestInfoFrom(r.Context()); info != nil && info.addr != "" {
		return info.addr
	}
	return clientAddr(r, nil)
}

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	Requests *prometheus.CounterVec
	Latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshgate_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "meshgate_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.Requests, m.Latency)
	return m
}

// observe counts one request of route with status and records its latency.
// A registered route keeps its metric children, so that a request does not
// hash its label values; unmatched requests look them up.
func (m *Metrics) observe(route *routeEntry, status int, elapsed time.Duration) {
	if route == nil {
		m.Requests.WithLabelValues("unmatched", strconv.Itoa(status)).Inc()
		m.Latency.WithLabelValues("unmatched").Observe(elapsed.Seconds())
		return
	}
	rm := route.metrics.Load()
	if rm == nil || rm.m != m {
		rm = &routeMetrics{m: m, latency: m.Latency.WithLabelValues(route.name)}
		route.metrics.Store(rm)
	}
	rm.counter(route.name, status).Inc()
	rm.latency.Observe(elapsed.Seconds())
}

// cachedStatuses are the statuses whose counters a route keeps at hand.
var cachedStatuses = [...]int{200, 201, 204, 400, 401, 403, 404, 409, 413, 429, 500}

// routeMetrics holds one route's metric children for one Metrics. The
// counters of cachedStatuses are filled on first use, so that /metrics lists
// only the statuses a route has answered.
type routeMetrics struct {
	m        *Metrics
	latency  prometheus.Observer
	counters [len(cachedStatuses)]atomic.Pointer[counterRef]
}

type counterRef struct{ c prometheus.Counter }

func (rm *routeMetrics) counter(route string, status int) prometheus.Counter {
	i := statusSlot(status)
	if i < 0 {
		return rm.m.Requests.WithLabelValues(route, strconv.Itoa(status))
	}
	if ref := rm.counters[i].Load(); ref != nil {
		return ref.c
	}
	ref := &counterRef{c: rm.m.Requests.WithLabelValues(route, strconv.Itoa(status))}
	rm.counters[i].Store(ref)
	return ref.c
}

func statusSlot(status int) int {
	for i, s := range cachedStatuses {
		if s == status {
			return i
		}
	}
	return -1
}

type statusWriter struct {
	http.ResponseWriter
	status int
	info   *requestInfo
}

// requestInfoOf returns the request state Middleware passes along with its
// writer, or nil.
func requestInfoOf(w http.ResponseWriter) *requestInfo {
	if sw, ok := w.(*statusWriter); ok {
		return sw.info
	}
	return nil
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.setDate()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.setDate()
	}
	return w.ResponseWriter.Write(b)
}

// setDate sets the Date header from the second's formatted value, unless
// the handler set one: net/http would otherwise format it for every response.
func (w *statusWriter) setDate() {
	h := w.Header()
	if _, ok := h["Date"]; !ok {
		h["Date"] = dateValue(time.Now())
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Header values every response carries. They are shared, never modified:
// net/http copies header values when it writes them, and Set or Add on
// these keys replace or reallocate the slice (its capacity is its length).
var (
	hdrNosniff     = []string{"nosniff"}[:1:1]
	hdrDeny        = []string{"DENY"}[:1:1]
	hdrSameOrigin  = []string{"same-origin"}[:1:1]
	hdrJSON        = []string{"application/json"}[:1:1]
	hdrNoStore     = []string{"no-store"}[:1:1]
	hdrRetryAfter  = []string{"60"}[:1:1]
	dateHeaderNow  atomic.Pointer[dateHeader]
	requestIDCount atomic.Uint64
	requestIDBase  = newRequestIDPrefix()
)

// dateHeader is the Date header of one second, formatted once: net/http
// would otherwise format the time for every response.
type dateHeader struct {
	unix  int64
	value []string
}

func dateValue(now time.Time) []string {
	sec := now.Unix()
	if d := dateHeaderNow.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &dateHeader{unix: sec, value: []string{now.UTC().Format(http.TimeFormat)}[:1:1]}
	dateHeaderNow.Store(d)
	return d.value
}

// requestState is what Middleware allocates per request, in one piece.
type requestState struct {
	info requestInfo
	sw   statusWriter
	id   [1]string // the X-Request-Id header's value
}

// Middleware wraps next with request ids, panic recovery, security headers,
// access logs and metrics.
func Middleware(next http.Handler, m *Metrics, log *slog.Logger) http.Handler {
	// The router puts the request's state in the context itself, with the
	// actor, from the writer: one request copy for both.
	_, router := next.(*Router)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !plainRequestID(id) {
			id = newRequestID()
		}
		st := &requestState{info: requestInfo{id: id}, sw: statusWriter{ResponseWriter: w}, id: [1]string{id}}
		info, sw := &st.info, &st.sw
		sw.info = info
		if !router {
			r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, info))
		}
		ctx := r.Context()
		h := w.Header()
		h["X-Request-Id"] = st.id[:1:1]
		h["X-Content-Type-Options"] = hdrNosniff
		h["X-Frame-Options"] = hdrDeny
		h["Referrer-Policy"] = hdrSameOrigin
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic serving request", "panic", p, "path", r.URL.Path, "request_id", id)
				if sw.status == 0 {
					WriteJSON(sw, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "internal error"}})
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			if m != nil {
				m.observe(info.route.Load(), status, elapsed)
			}
			if log.Enabled(ctx, slog.LevelDebug) {
				log.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", status), slog.Duration("elapsed", elapsed), slog.String("request_id", id))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// plainRequestID reports whether a client's X-Request-Id may be kept: 1 to 64
// of [A-Za-z0-9._-], so that it cannot forge log lines or carry markup into
// the audit log.
func plainRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRequestIDPrefix returns 8 random hex digits that tell this process's
// request ids from other processes' (replicas, restarts).
func newRequestIDPrefix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newRequestID returns a process-unique id: the process's random prefix and
// a counter, 16 hex digits in all until the counter passes 2^32.
func newRequestID() string {
	var buf [32]byte
	b := append(buf[:0], requestIDBase...)
	n := requestIDCount.Add(1)
	const digits = "0123456789abcdef"
	var hexBuf [16]byte
	i := len(hexBuf)
	for n > 0 || i > len(hexBuf)-8 {
		i--
		hexBuf[i] = digits[n&0xf]
		n >>= 4
	}
	b = append(b, hexBuf[i:]...)
	return string(b)
}

func logAuditFailure(r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "audit write failed", "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
}
