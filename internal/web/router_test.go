package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// tokenAuth accepts "Bearer admin" as a mesh admin and "Bearer member" as a member.
type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, r *http.Request) (*mesh.Actor, error) {
	switch r.Header.Get("Authorization") {
	case "":
		return nil, nil
	case "Bearer admin":
		return &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}, nil
	case "Bearer member":
		return &mesh.Actor{Username: "m", AccountID: "111122223333", CentralAccountID: "central", Roles: []string{mesh.RoleMember}}, nil
	}
	return nil, mesh.Errorf(mesh.EUNAUTHORIZED, "invalid token")
}

type auditLog struct{ entries []mesh.AuditEntry }

func (a *auditLog) RecordAudit(_ context.Context, e mesh.AuditEntry) error {
	a.entries = append(a.entries, e)
	return nil
}

func newTestRouter(audit *auditLog) http.Handler {
	rt := NewRouter(tokenAuth{}, audit)
	rt.Handle("GET", "/healthz", Public, func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, 200, map[string]string{"status": "ok"})
		return nil
	})
	rt.Handle("POST", "/things", Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
		if in.Name == "" {
			return mesh.Invalid("name", "is required")
		}
		WriteJSON(w, 201, in)
		return nil
	})
	rt.Handle("DELETE", "/things/{name}", MeshAdmin, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(204)
		return nil
	})
	rt.Handle("GET", "/boom", Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		return context.DeadlineExceeded // an internal error: its text must not leak
	})
	return Middleware(rt, nil, discardLogger())
}

func TestRouter(t *testing.T) {
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantCode, wantField             string
	}{
		{"health is public", "GET", "/healthz", "", "", 200, "", ""},
		{"no credentials", "POST", "/things", "", `{"name":"a"}`, 401, "unauthorized", ""},
		{"bad token", "POST", "/things", "bogus", `{"name":"a"}`, 401, "unauthorized", ""},
		{"created", "POST", "/things", "member", `{"name":"a"}`, 201, "", ""},
		{"unknown field named", "POST", "/things", "member", `{"name":"a","colour":"red"}`, 400, "invalid", "colour"},
		{"wrong type named", "POST", "/things", "member", `{"name":5}`, 400, "invalid", "name"},
		{"missing field named", "POST", "/things", "member", `{}`, 400, "invalid", "name"},
		{"malformed", "POST", "/things", "member", `{"name":`, 400, "invalid", "body"},
		{"trailing data", "POST", "/things", "member", `{"name":"a"} {}`, 400, "invalid", "body"},
		{"too large", "POST", "/things", "member", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "too_large", ""},
		{"admin only", "DELETE", "/things/a", "member", "", 403, "forbidden", ""},
		{"admin allowed", "DELETE", "/things/a", "admin", "", 204, "", ""},
		{"internal hidden", "GET", "/boom", "member", "", 500, "internal", ""},
		{"unknown route", "GET", "/nope", "", "", 404, "not_found", ""},
		{"wrong method", "PUT", "/things", "member", "", 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestRouter(&auditLog{})
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantCode == "" {
				return
			}
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body %q: %v", rec.Body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Field != tt.wantField {
				t.Errorf("got code %q field %q, want %q %q (%s)", body.Error.Code, body.Error.Field, tt.wantCode, tt.wantField, body.Error.Message)
			}
			if tt.wantCode == "internal" && body.Error.Message != "internal error" {
				t.Errorf("internal message leaked: %q", body.Error.Message)
			}
		})
	}
}

func TestRouterAuditsRejectedChanges(t *testing.T) {
	audit := &auditLog{}
	h := newTestRouter(audit)
	for _, path := range []string{"/things/a", "/healthz"} {
		method := "DELETE"
		if path == "/healthz" {
			method = "GET"
		}
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer member")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if len(audit.entries) != 1 {
		t.Fatalf("got %d audit entries, want 1 (the rejected DELETE only)", len(audit.entries))
	}
	e := audit.entries[0]
	if e.Principal != "111122223333/m" || e.Result != "forbidden" || e.Resource != "/things/a" || e.Action != "DELETE /things/{name}" {
		t.Errorf("got %+v, want forbidden DELETE /things/{name} on /things/a by 111122223333/m", e)
	}
}

func TestPageTokens(t *testing.T) {
	p := NewPageTokens([]byte("k1"))
	type cursor struct{ After string }
	tok := p.Encode(cursor{After: "sales"})
	var got cursor
	if err := p.Decode("next_token", tok, &got); err != nil || got.After != "sales" {
		t.Fatalf("got %+v, %v; want After=sales", got, err)
	}
	for _, bad := range []string{"", "x", tok + "x", "e30." + strings.Split(tok, ".")[1], strings.Split(tok, ".")[0] + ".AAAA"} {
		if err := p.Decode("next_token", bad, &got); !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("token %q: got %v, want invalid", bad, err)
		}
	}
	if err := NewPageTokens([]byte("k2")).Decode("next_token", tok, &got); err == nil {
		t.Error("a token signed with another key was accepted")
	}
}

func TestMiddlewareHeadersAndMetrics(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	rt := NewRouter(tokenAuth{}, nil)
	rt.Handle("GET", "/teapot", Public, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusTeapot) // a status the routes do not keep at hand
		return nil
	})
	rt.Handle("DELETE", "/things/{name}", MeshAdmin, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	h := Middleware(rt, m, discardLogger())
	ids := map[string]bool{}
	calls := []struct{ method, path, token string }{
		{"DELETE", "/things/a", "admin"}, {"DELETE", "/things/b", "admin"}, {"DELETE", "/things/a", "member"},
		{"GET", "/teapot", ""}, {"GET", "/nope", ""}, {"PUT", "/teapot", ""},
	}
	for _, c := range calls {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		id := rec.Header().Get("X-Request-Id")
		if len(id) != 16 || ids[id] {
			t.Errorf("%s %s: got request id %q, want 16 hex digits, new", c.method, c.path, id)
		}
		ids[id] = true
		for _, k := range []string{"Date", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if rec.Header().Get(k) == "" {
				t.Errorf("%s %s: no %s header", c.method, c.path, k)
			}
		}
		if _, err := http.ParseTime(rec.Header().Get("Date")); err != nil {
			t.Errorf("%s %s: Date header: %v", c.method, c.path, err)
		}
	}
	req := httptest.NewRequest("GET", "/teapot", nil)
	req.Header.Set("X-Request-Id", "from-the-client")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got != "from-the-client" {
		t.Errorf("got request id %q, want the client's", got)
	}
	counts := []struct {
		route, status string
		want          float64
	}{
		{"DELETE /things/{name}", "204", 2},
		{"DELETE /things/{name}", "403", 1},
		{"GET /teapot", "418", 2},
		{"unmatched", "404", 1},
		{"unmatched", "405", 1},
	}
	for _, c := range counts {
		if got := testutil.ToFloat64(m.Requests.WithLabelValues(c.route, c.status)); got != c.want {
			t.Errorf("requests %s %s: got %v, want %v", c.route, c.status, got, c.want)
		}
	}
	if got := testutil.CollectAndCount(m.Requests); got != len(counts) {
		t.Errorf("got %d request series, want %d", got, len(counts))
	}
	if got := testutil.CollectAndCount(m.Latency); got != 3 {
		t.Errorf("got %d latency series, want 3", got)
	}
}

func TestRequestIDInContext(t *testing.T) {
	audit := &auditLog{}
	rt := NewRouter(tokenAuth{}, audit)
	echo := func(w http.ResponseWriter, r *http.Request) error {
		actorID := ""
		if a := mesh.ActorFromContext(r.Context()); a != nil {
			actorID = a.RequestID
		}
		WriteJSON(w, http.StatusOK, map[string]string{"id": RequestID(r.Context()), "actor": actorID})
		return nil
	}
	rt.Handle("GET", "/public", Public, echo)
	rt.Handle("GET", "/mine", Authenticated, echo)
	rt.Handle("GET", "/things/{name}", Authenticated, echo)
	rt.Handle("POST", "/things", Authenticated, echo)
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"id": RequestID(r.Context())})
	})
	tests := []struct {
		name      string
		h         http.Handler
		path      string
		wantActor bool
	}{
		{"public route", Middleware(rt, nil, discardLogger()), "/public", false},
		{"authenticated route", Middleware(rt, nil, discardLogger()), "/mine", true},
		{"wildcard route", Middleware(rt, nil, discardLogger()), "/things/a", true},
		{"another handler", Middleware(plain, nil, discardLogger()), "/any", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("Authorization", "Bearer member")
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			id := rec.Header().Get("X-Request-Id")
			if got["id"] != id || id == "" {
				t.Errorf("got request id %q in the context, want %q", got["id"], id)
			}
			if tt.wantActor && got["actor"] != id {
				t.Errorf("got actor request id %q, want %q", got["actor"], id)
			}
		})
	}
	req := httptest.NewRequest("POST", "/things", strings.NewReader(`{}`))
	rec := httptest.NewRecorder()
	Middleware(rt, nil, discardLogger()).ServeHTTP(rec, req)
	if len(audit.entries) != 1 || audit.entries[0].RequestID != rec.Header().Get("X-Request-Id") {
		t.Errorf("got audit entries %+v, want one with request id %q", audit.entries, rec.Header().Get("X-Request-Id"))
	}
}

func TestClientRequestID(t *testing.T) {
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil, discardLogger())
	tests := []struct {
		sent string
		keep bool
	}{
		{"abc-123_x.Y", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"a b", false},
		{"id\nforged log line", false},
		{"<script>", false},
		{"é", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", tt.sent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if kept := got == tt.sent; kept != tt.keep || got == "" {
			t.Errorf("sent %q: got %q, want kept %v", tt.sent, got, tt.keep)
		}
	}
}
