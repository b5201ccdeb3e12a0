package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newLimitsRouter(audit *auditLog, clock *mesh.FakeClock) *Router {
	rt := NewRouter(tokenAuth{}, audit)
	rt.rejects = newRejectLimiter(RejectedAuditPerMinute, RejectedAuditPerMinuteTotal, clock.Now)
	ok := func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(http.StatusNoContent); return nil }
	rt.Handle("POST", "/api/v1/invitations/{id}/accept", Authenticated, ok)
	rt.Handle("GET", "/api/v1/accounts/{id}", Authenticated, ok)
	rt.Handle("DELETE", "/api/v1/catalog/databases/{name}/tables/{table}", Authenticated, ok)
	rt.Handle("POST", "/api/v1/login", Public, func(w http.ResponseWriter, r *http.Request) error {
		return mesh.Errorf(mesh.EUNAUTHORIZED, "wrong user name or password for %q", r.URL.Query().Get("u"))
	})
	return rt
}

// TestOverLongRequestsRefusedBeforeAudit checks that over-long targets and
// path identifiers are answered 414 and 400 (naming the wildcard) before
// authentication, and leave nothing in the audit log.
func TestOverLongRequestsRefusedBeforeAudit(t *testing.T) {
	nines := strings.Repeat("9", 60000)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantField          string
	}{
		{"huge invitation id", "POST", "/api/v1/invitations/" + nines + "/accept", 414, "path"},
		{"target just over the limit", "POST", "/api/v1/invitations/1/accept?x=" + strings.Repeat("a", MaxRequestURI), 414, "path"},
		{"invitation id over 19 digits", "POST", "/api/v1/invitations/" + strings.Repeat("9", 20) + "/accept", 400, "id"},
		{"account id over 63", "GET", "/api/v1/accounts/" + strings.Repeat("a", 64), 400, "id"},
		{"table name over 255", "DELETE", "/api/v1/catalog/databases/d/tables/" + strings.Repeat("t", 256), 400, "table"},
		{"database name over 255", "DELETE", "/api/v1/catalog/databases/" + strings.Repeat("d", 256) + "/tables/t", 400, "name"},
		{"within bounds reaches authentication", "POST", "/api/v1/invitations/" + strings.Repeat("9", 19) + "/accept", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audit := &auditLog{}
			h := Middleware(newLimitsRouter(audit, mesh.NewFakeClock(time.Now())), nil, discardLogger())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %.200s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantField != "" {
				var body ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("body %.200q: %v", rec.Body, err)
				}
				if body.Error.Field != tt.wantField {
					t.Errorf("field: got %q, want %q", body.Error.Field, tt.wantField)
				}
				if len(audit.entries) != 0 {
					t.Errorf("got %d audit entries, want none", len(audit.entries))
				}
			}
		})
	}
}

// TestAnonymousRejectionFloodIsBounded floods one route with rejected
// unauthenticated calls and checks that the audit log gets a bounded number
// of compact entries, the rest counted, and that the budget is per address
// and per minute.
func TestAnonymousRejectionFloodIsBounded(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	audit := &auditLog{}
	rt := newLimitsRouter(audit, clock)
	h := Middleware(rt, nil, discardLogger())
	const flood = 3000
	send := func(addr, path string) {
		req := httptest.NewRequest("POST", path, nil)
		req.RemoteAddr = addr + ":40000"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	for i := range flood {
		// the longest path that passes every bound, and a different one each time
		send("203.0.113.7", fmt.Sprintf("/api/v1/invitations/%019d/accept", i))
	}
	if got := len(audit.entries); got != RejectedAuditPerMinute {
		t.Fatalf("got %d audit entries from one address's flood, want %d", got, RejectedAuditPerMinute)
	}
	size := 0
	for _, e := range audit.entries {
		size += len(e.Action) + len(e.Resource) + len(e.Detail) + len(e.Principal) + len(e.RemoteAddr) + len(e.RequestID) + len(e.Result)
		if e.Action != "POST /api/v1/invitations/{id}/accept" || e.Resource != "/api/v1/invitations/{id}/accept" || e.RemoteAddr != "203.0.113.7" {
			t.Errorf("got entry %+v, want the route pattern, no raw path, the caller's address", e)
		}
	}
	if size > RejectedAuditPerMinute*512 {
		t.Errorf("got %d bytes of audit text, want at most %d", size, RejectedAuditPerMinute*512)
	}
	if got := testutil.ToFloat64(rt.rejects.dropped); got != flood-RejectedAuditPerMinute {
		t.Errorf("dropped: got %v, want %v", got, flood-RejectedAuditPerMinute)
	}

	// Another address has its own budget; an IPv6 /64 counts as one address.
	send("198.51.100.1", "/api/v1/invitations/1/accept")
	for i := range RejectedAuditPerMinute + 5 {
		send(fmt.Sprintf("[2001:db8::%x]", i+1), "/api/v1/invitations/1/accept")
	}
	if got, want := len(audit.entries), 2*RejectedAuditPerMinute+1; got != want {
		t.Errorf("after other addresses: got %d entries, want %d", got, want)
	}
	// The next minute opens a new budget.
	clock.Add(time.Minute)
	send("203.0.113.7", "/api/v1/invitations/1/accept")
	if got, want := len(audit.entries), 2*RejectedAuditPerMinute+2; got != want {
		t.Errorf("next minute: got %d entries, want %d", got, want)
	}
	// A failed sign-in's detail is bounded too.
	send("192.0.2.9", "/api/v1/login?u="+strings.Repeat("x", 1500))
	last := audit.entries[len(audit.entries)-1]
	if last.Action != "POST /api/v1/login" || len(last.Detail) > MaxAuditField {
		t.Errorf("got %s with a %d-byte detail, want POST /api/v1/login with at most %d", last.Action, len(last.Detail), MaxAuditField)
	}
}

// TestSignedInRejectionsAllAudited: the bound on rejected calls is for
// callers without valid credentials; every rejected call of a signed-in
// user is audited, whole, however many come from one address in a minute.
func TestSignedInRejectionsAllAudited(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	audit := &auditLog{}
	rt := newLimitsRouter(audit, clock)
	rt.Handle("DELETE", "/api/v1/accounts/{id}", MeshAdmin, func(w http.ResponseWriter, r *http.Request) error { return nil })
	h := Middleware(rt, nil, discardLogger())
	const calls = 3 * RejectedAuditPerMinute
	for i := range calls {
		req := httptest.NewRequest("DELETE", fmt.Sprintf("/api/v1/accounts/%012d", i), nil)
		req.RemoteAddr = "203.0.113.7:40000"
		req.Header.Set("Authorization", "Bearer member")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("call %d: got %d, want 403", i, rec.Code)
		}
	}
	if got := len(audit.entries); got != calls {
		t.Fatalf("got %d audit entries, want all %d", got, calls)
	}
	for i, e := range audit.entries {
		if e.Principal != "111122223333/m" || e.Result != mesh.EFORBIDDEN || e.Resource != fmt.Sprintf("/api/v1/accounts/%012d", i) {
			t.Errorf("entry %d: got %+v, want forbidden by 111122223333/m on the account's raw path", i, e)
		}
	}
	if got := testutil.ToFloat64(rt.rejects.dropped); got != 0 {
		t.Errorf("dropped: got %v, want none", got)
	}
}

// TestRejectLimiterTotal checks that many addresses together stay within
// the total budget, and that addresses past the tracked ones share one budget.
func TestRejectLimiterTotal(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	l := newRejectLimiter(2, 50, clock.Now)
	allowed := 0
	for i := range 1000 {
		if l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256)) {
			allowed++
		}
	}
	if allowed != 50 {
		t.Errorf("got %d allowed over 1000 addresses, want the total of 50", allowed)
	}
	clock.Add(time.Minute)
	l = newRejectLimiter(2, 1<<30, clock.Now)
	allowed = 0
	for i := range maxTrackedAddrs + 100 {
		if l.allow(fmt.Sprintf("a%d", i)) {
			allowed++
		}
	}
	if want := maxTrackedAddrs + 2; allowed != want {
		t.Errorf("got %d allowed, want %d (the tracked addresses, then one shared budget)", allowed, want)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghijkl", 10, "abcdefg…"},
		{"ééééé", 8, "éé…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
