package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TestHandleWithWritesItsOwnErrors checks that a route registered with an
// error writer gets every error of its own (authentication, policy, path
// limits, handler) through it, still audited, while other routes keep JSON;
// and the AccountAdmin policy.
func TestHandleWithWritesItsOwnErrors(t *testing.T) {
	audit := &auditLog{}
	rt := NewRouter(tokenAuth{}, audit)
	var got []string
	ew := func(w http.ResponseWriter, r *http.Request, err error) {
		got = append(got, mesh.ErrorCode(err))
		w.WriteHeader(299)
	}
	ok := func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(200); return nil }
	rt.HandleWith("GET", "/page", AccountAdmin, ew, ok)
	rt.HandleWith("POST", "/page", AccountAdmin, ew, func(w http.ResponseWriter, r *http.Request) error {
		return mesh.Invalid("name", "is required")
	})
	rt.Handle("GET", "/json", AccountAdmin, ok)
	h := Middleware(rt, nil, discardLogger())

	tests := []struct {
		method, path, token string
		wantStatus          int
		wantCode            string
	}{
		{"GET", "/page", "", 299, mesh.EUNAUTHORIZED},
		{"GET", "/page", "bogus", 299, mesh.EUNAUTHORIZED},
		{"GET", "/page", "member", 299, mesh.EFORBIDDEN},
		{"GET", "/page", "admin", 200, ""},
		{"POST", "/page", "admin", 299, mesh.EINVALID},
		{"GET", "/json", "member", 403, ""},
		{"GET", "/json", "admin", 200, ""},
	}
	for _, tt := range tests {
		got = nil
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.wantStatus {
			t.Errorf("%s %s as %q: got status %d, want %d", tt.method, tt.path, tt.token, rec.Code, tt.wantStatus)
		}
		if tt.wantCode != "" && (len(got) != 1 || got[0] != tt.wantCode) {
			t.Errorf("%s %s as %q: got written errors %v, want [%s]", tt.method, tt.path, tt.token, got, tt.wantCode)
		}
		if tt.wantCode == "" && len(got) != 0 {
			t.Errorf("%s %s as %q: got written errors %v, want none", tt.method, tt.path, tt.token, got)
		}
	}
	if len(audit.entries) != 1 || audit.entries[0].Result != mesh.EINVALID {
		t.Errorf("audit: got %+v, want the one rejected POST", audit.entries)
	}
}
