// Package web holds what every HTTP handler of meshgate shares: the router
// with one authorization policy per route, the JSON and error shapes,
// middleware (request ids, logging, metrics, authentication, audit of
// rejected changes) and opaque page tokens. The JSON API lives in web/api.
package web

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// HandlerFunc is an HTTP handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Policy decides whether the caller may reach a route at all. Finer,
// resource-level decisions belong to the services, which read the actor from
// the context. A nil actor means the request carried no valid credentials.
type Policy func(actor *mesh.Actor, r *http.Request) error

// Public lets anyone through: health, readiness, login.
func Public(*mesh.Actor, *http.Request) error { return nil }

// Authenticated requires a signed-in user or an API token.
func Authenticated(actor *mesh.Actor, _ *http.Request) error {
	if actor == nil {
		return mesh.ErrSignInRequired()
	}
	return nil
}

// MeshAdmin requires an admin of the central account.
func MeshAdmin(actor *mesh.Actor, r *http.Request) error {
	if err := Authenticated(actor, r); err != nil {
		return err
	}
	if !actor.IsMeshAdmin() {
		return mesh.Errorf(mesh.EFORBIDDEN, "only mesh admins may do this")
	}
	return nil
}

// AccountAdmin requires an admin of the caller's own account (mesh admins
// are admins of the central account). The services still decide which
// account's resources the caller may touch.
func AccountAdmin(actor *mesh.Actor, r *http.Request) error {
	if err := Authenticated(actor, r); err != nil {
		return err
	}
	if !actor.HasRole(mesh.RoleAdmin) {
		return mesh.Errorf(mesh.EFORBIDDEN, "only the account's admins may do this")
	}
	return nil
}

// Authenticator resolves the credentials of a request (session cookie or
// bearer token) to an actor. It returns (nil, nil) when there are none and an
// EUNAUTHORIZED error when they are invalid or expired.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (*mesh.Actor, error)
}

// Route is one registered route, kept for documentation checks.
type Route struct {
	Method, Pattern string
	Public          bool
}

// Router is an http.ServeMux whose every route names its policy.
type Router struct {
	mux    *http.ServeMux
	auth   Authenticator
	audit  Auditor
	routes []Route
	// rejects bounds how many rejected anonymous calls are audited (limits.go).
	rejects *rejectLimiter
	// cop refuses cross-site changes made with the session cookie (origin.go).
	cop *http.CrossOriginProtection
	// proxies are the reverse proxies whose X-Forwarded-For is believed.
	proxies []netip.Prefix
	// pageNotFound, when set, answers unmatched paths outside /api/.
	pageNotFound ErrorWriter
}

// PageNotFound makes ew answer requests that match no route and whose path
// is not under /api/ (the web pages' own not-found page); the API keeps its
// JSON answers.
func (rt *Router) PageNotFound(ew ErrorWriter) { rt.pageNotFound = ew }

// NewRouter returns a router authenticating with auth and recording rejected
// changes with audit (either may be nil in tests).
func NewRouter(auth Authenticator, audit Auditor) *Router {
	return &Router{mux: http.NewServeMux(), auth: auth, audit: audit, cop: http.NewCrossOriginProtection(),
		rejects: newRejectLimiter(RejectedAuditPerMinute, RejectedAuditPerMinuteTotal, func() time.Time { return timeNow() })}
}

// Handle registers h for "METHOD /path" behind policy.
func (rt *Router) Handle(method, pattern string, policy Policy, h HandlerFunc) {
	rt.handle(method, pattern, policy, nil, h)
}

func (rt *Router) handle(method, pattern string, policy Policy, ew ErrorWriter, h HandlerFunc) {
	public := isPublic(policy)
	rt.routes = append(rt.routes, Route{Method: method, Pattern: pattern, Public: public})
	route := method + " " + pattern
	rt.mux.Handle(route, &routeHandler{rt: rt, route: &routeEntry{name: route}, policy: policy, public: public,
		plain: !strings.Contains(pattern, "{"), limits: pathLimitsOf(pattern), h: h, ew: ew})
}

// ErrorWriter writes the error of a route's authentication, policy or
// handler. The API writes JSON (WriteError); pages render HTML instead.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// HandleWith registers h like Handle, writing its errors with ew.
func (rt *Router) HandleWith(method, pattern string, policy Policy, ew ErrorWriter, h HandlerFunc) {
	rt.handle(method, pattern, policy, ew, h)
}

// HandleHTTP registers a plain http.Handler (metrics, static files) behind policy.
func (rt *Router) HandleHTTP(method, pattern string, policy Policy, h http.Handler) {
	rt.Handle(method, pattern, policy, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}

// Routes lists the registered routes.
func (rt *Router) Routes() []Route { return rt.routes }

// ServeHTTP dispatches to the registered routes.
// Unmatched paths and methods get the JSON error shape (404, or 405 with Allow).
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if refuseLongURI(w, r) {
		return
	}
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		// A route without wildcards has no path values to set: call it
		// directly rather than have the mux match the request again.
		if rh, ok := h.(*routeHandler); ok && rh.plain && r.RequestURI != "*" {
			r.Pattern = pattern
			rh.ServeHTTP(w, r)
			return
		}
		rt.mux.ServeHTTP(w, r)
		return
	}
	if info := requestInfoOf(w); info != nil {
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, info))
	}
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		WriteJSON(w, rec.status, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path}})
		return
	}
	if rt.pageNotFound != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
		rt.pageNotFound(w, r, mesh.Errorf(mesh.ENOTFOUND, "there is no page at %s", r.URL.Path))
		return
	}
	WriteError(w, r, mesh.NotFound("route", r.Method+" "+r.URL.Path))
}

// headerRecorder captures what the mux would answer for an unmatched request.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(s int)           { h.status = s }

// routeEntry is one registered route as the middleware sees it: its name
// for metrics and logs, and its metric children once looked up.
type routeEntry struct {
	name    string
	metrics atomic.Pointer[routeMetrics]
}

// routeHandler serves one route: authentication, policy, handler, errors.
type routeHandler struct {
	rt     *Router
	route  *routeEntry
	policy Policy
	public bool // computed once: Public skips authentication
	plain  bool // the pattern has no wildcards
	limits []pathLimit
	h      HandlerFunc
	ew     ErrorWriter // nil: WriteError
}

func (rh *routeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, route := rh.rt, rh.route.name
	// Behind Middleware, the request's state comes with the writer and goes
	// into the context here, with the actor: one request copy for both.
	ctx := r.Context()
	info := requestInfoOf(w)
	if info != nil {
		ctx = context.WithValue(ctx, requestInfoKey, info)
	} else if info = requestInfoFrom(ctx); info == nil {
		info = &requestInfo{}
		ctx = context.WithValue(ctx, requestInfoKey, info)
	}
	info.route.Store(rh.route)
	info.addr = clientAddr(r, rt.proxies)
	if err := checkPathValues(r, rh.limits); err != nil {
		rh.writeError(w, r, err) // not audited: nothing was tried
		return
	}
	if err := rt.checkOrigin(r); err != nil {
		rt.fail(w, r.WithContext(ctx), nil, route, err, rh.ew)
		return
	}
	var actor *mesh.Actor
	if rt.auth != nil && !rh.public {
		a, err := rt.auth.Authenticate(ctx, r)
		if err != nil {
			rt.fail(w, r.WithContext(ctx), nil, route, err, rh.ew)
			return
		}
		actor = a
	}
	if actor != nil {
		actor.RemoteAddr = info.addr // resolved above; r's context does not hold info yet
		actor.RequestID = RequestID(ctx)
		ctx = mesh.NewContext(ctx, actor)
	}
	if ctx != r.Context() {
		r = r.WithContext(ctx)
	}
	if err := rh.policy(actor, r); err != nil {
		rt.fail(w, r, actor, route, err, rh.ew)
		return
	}
	if err := rh.h(w, r); err != nil {
		rt.fail(w, r, actor, route, err, rh.ew)
	}
}

func (rh *routeHandler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if rh.ew != nil {
		rh.ew(w, r, err)
		return
	}
	WriteError(w, r, err)
}

// fail writes err (unless the handler answered it already, Answered) and,
// for a state-changing call, records the rejection in the audit log. Successful changes are audited by the services, in the same
// transaction as the change.
func (rt *Router) fail(w http.ResponseWriter, r *http.Request, actor *mesh.Actor, route string, err error, ew ErrorWriter) {
	var done *answered
	switch {
	case errors.As(err, &done):
	case ew != nil:
		ew(w, r, err)
	default:
		WriteError(w, r, err)
	}
	if rt.audit == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return
	}
	e := mesh.NewAuditEntry(actor, timeNow(), route, r.URL.Path)
	if actor == nil {
		e.RemoteAddr = ClientAddr(r)
		e.RequestID = RequestID(r.Context())
	}
	e.Result = mesh.ErrorCode(err)
	e.Detail = mesh.ErrorMessage(err)
	if note := auditNote(err); note != "" {
		e.Detail = note + ": " + e.Detail
	}
	compactRejection(&e, actor == nil, route)
	if actor == nil && !rt.rejects.allow(rejectAddr(r)) {
		return
	}
	if aerr := rt.audit.RecordAudit(context.WithoutCancel(r.Context()), e); aerr != nil {
		logAuditFailure(r, aerr)
	}
}

// Auditor records an audit entry in its own transaction.
type Auditor interface {
	RecordAudit(ctx context.Context, e mesh.AuditEntry) error
}

// isPublic compares policies by identity: only Public skips authentication.
func isPublic(p Policy) bool {
	return funcID(p) == funcID(Public)
}
