package web

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/prometheus/client_golang/prometheus"
)

// Bounds on what an anonymous caller can make the server write. A flood of
// rejected calls with huge paths once grew the audit log by hundreds of
// megabytes in a minute; these keep its cost a small, fixed amount.
const (
	// MaxRequestURI bounds a request's target (path and query): longer ones
	// are answered 414 before authentication or any write.
	MaxRequestURI = 2048
	// MaxAuditField bounds the resource and detail of a rejected call's audit entry.
	MaxAuditField = 256
	// RejectedAuditPerMinute is how many rejected unauthenticated calls of one
	// address are audited per minute; the rest are only counted
	// (meshgate_audit_rejections_dropped_total).
	RejectedAuditPerMinute = 20
	// RejectedAuditPerMinuteTotal bounds the same for all addresses together,
	// so that many addresses cannot add up to an unbounded write rate.
	RejectedAuditPerMinuteTotal = 600
	// maxTrackedAddrs bounds the limiter's memory; past it, the addresses
	// not yet seen in the minute share one address's budget.
	maxTrackedAddrs = 10000
)

// defaultPathValueMax bounds a path wildcard that pathValueMax does not name.
const defaultPathValueMax = mesh.MaxNameLen

// pathValueMax is the longest value of each path wildcard, keyed by the
// literal segment before it and its name: the segment says which kind of
// identifier it is ("accounts/{id}" is an account id, "invitations/{id}" a number).
var pathValueMax = map[string]int{
	"accounts/{id}":         63, // 12 digits or a slug of at most 63
	"invitations/{id}":      19, // a positive int64
	"executions/{id}":       64, // a UUID, with room to spare
	"users/{user}":          19,
	"tokens/{token}":        19,
	"databases/{name}":      mesh.MaxNameLen,
	"tables/{table}":        mesh.MaxNameLen,
	"links/{name}":          mesh.MaxNameLen,
	"state-machines/{name}": mesh.MaxNameLen,
}

// pathLimit bounds one wildcard of a route.
type pathLimit struct {
	name string
	max  int
}

// pathLimitsOf lists the wildcards of a route pattern with their bounds.
func pathLimitsOf(pattern string) []pathLimit {
	var out []pathLimit
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
		name = strings.TrimSuffix(name, "...")
		if name == "" || name == "$" {
			continue
		}
		max := defaultPathValueMax
		if i > 0 {
			if m, ok := pathValueMax[segs[i-1]+"/"+s]; ok {
				max = m
			}
		}
		out = append(out, pathLimit{name: name, max: max})
	}
	return out
}

// checkPathValues refuses a wildcard value longer than its identifier can be
// or holding what no identifier holds (control characters, bytes that are
// not UTF-8), and a query value with NUL or bytes that are not UTF-8, naming
// the parameter, before authentication and audit see the request.
// PostgreSQL refuses such text in a comparison, so it would otherwise fail
// there where SQLite found nothing.
func checkPathValues(r *http.Request, limits []pathLimit) error {
	for _, l := range limits {
		v := r.PathValue(l.name)
		if len(v) > l.max {
			return mesh.Invalid(l.name, "is longer than %d characters", l.max)
		}
		if !utf8.ValidString(v) || hasControl(v) {
			return mesh.Invalid(l.name, "must be UTF-8 text without control characters")
		}
	}
	if plainASCII(r.URL.RawQuery) {
		return nil // only an escape or a raw byte past ASCII can carry NUL or a bad byte
	}
	for k, vs := range r.URL.Query() {
		if !storableText(k) {
			return mesh.Invalid("query", "parameter names must be UTF-8 text without NUL")
		}
		for _, v := range vs {
			if !storableText(v) {
				return mesh.Invalid(k, "must be UTF-8 text without NUL")
			}
		}
	}
	return nil
}

// plainASCII reports whether s has no escape and no byte past ASCII.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c >= 0x80 {
			return false
		}
	}
	return true
}

// hasControl reports a C0 control character or DEL in s.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// storableText reports whether s is text every store keeps: UTF-8 without NUL.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// refuseLongURI answers 414 to a request whose target is longer than
// MaxRequestURI, and reports whether it did.
func refuseLongURI(w http.ResponseWriter, r *http.Request) bool {
	n := len(r.RequestURI)
	if n == 0 { // a request built in-process rather than read from a client
		n = len(r.URL.Path) + len(r.URL.RawQuery)
	}
	if n <= MaxRequestURI {
		return false
	}
	WriteJSON(w, http.StatusRequestURITooLong, ErrorBody{Error: ErrorDetail{Code: mesh.ETOOLARGE, Field: "path",
		Message: "the request target is longer than 2048 bytes"}})
	return true
}

// truncate cuts s to at most n bytes at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// compactRejection bounds the fields of a rejected call's audit entry. An
// anonymous caller's entry names the route's pattern (route is "METHOD
// pattern"), not the raw path, since the path is whatever the caller sent.
func compactRejection(e *mesh.AuditEntry, anonymous bool, route string) {
	if anonymous {
		_, e.Resource, _ = strings.Cut(route, " ")
	}
	e.Resource = truncate(e.Resource, MaxAuditField)
	e.Detail = truncate(e.Detail, MaxAuditField)
	e.RemoteAddr = truncate(e.RemoteAddr, 64)
	e.RequestID = truncate(e.RequestID, 64)
}

// rejectAddr is the address a rejected unauthenticated call is counted
// against: the connection's peer, until trusted proxies are configured.
func rejectAddr(r *http.Request) string {
	addr := ClientAddr(r)
	// An IPv6 host usually holds a whole /64: count it as one address.
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return addr
}

// rejectLimiter decides which rejected unauthenticated calls are audited:
// at most perAddr per address and total in all per fixed one-minute window.
type rejectLimiter struct {
	perAddr, total int
	now            func() time.Time
	dropped        prometheus.Counter

	mu     sync.Mutex
	window time.Time // start of the current window
	all    int
	counts map[string]int
}

func newRejectLimiter(perAddr, total int, now func() time.Time) *rejectLimiter {
	return &rejectLimiter{perAddr: perAddr, total: total, now: now, counts: map[string]int{},
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshgate_audit_rejections_dropped_total",
			Help: "Rejected unauthenticated calls not audited because their address (or all addresses) passed the per-minute budget.",
		})}
}

// allow reports whether a rejected call from addr may be audited now, and
// counts it as dropped when not.
func (l *rejectLimiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.window) >= time.Minute || now.Before(l.window) {
		l.window, l.all = now.Truncate(time.Minute), 0
		clear(l.counts)
	}
	n, tracked := l.counts[addr]
	if !tracked && len(l.counts) >= maxTrackedAddrs {
		// past the tracked addresses, the rest share one address's budget
		addr = ""
		n = l.counts[addr]
	}
	if l.all >= l.total || n >= l.perAddr {
		l.dropped.Inc()
		return false
	}
	l.all++
	l.counts[addr] = n + 1
	return true
}

// Collectors returns the router's own Prometheus collectors.
func (rt *Router) Collectors() []prometheus.Collector {
	return []prometheus.Collector{rt.rejects.dropped}
}
