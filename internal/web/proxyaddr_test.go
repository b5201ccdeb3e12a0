package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

// TestActorAddrBehindProxy: behind a trusted proxy the actor the handlers
// see, and so every audit record they write, carries the client's address
// from X-Forwarded-For, as does the router's own record of a refusal; an
// untrusted peer's X-Forwarded-For is ignored.
func TestActorAddrBehindProxy(t *testing.T) {
	audit := &auditLog{}
	rt := NewRouter(tokenAuth{}, audit)
	rt.TrustProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	var seen string
	rt.Handle("POST", "/things", Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		seen = mesh.ActorFromContext(r.Context()).RemoteAddr
		if r.URL.Query().Get("fail") != "" {
			return mesh.Invalid("name", "is required")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	h := Middleware(rt, nil, discardLogger())
	for _, tt := range []struct {
		name, peer, path, want string
	}{
		{"trusted proxy", "10.1.2.3:5000", "/things", "203.0.113.9"},
		{"trusted proxy, refused", "10.1.2.3:5000", "/things?fail=1", "203.0.113.9"},
		{"untrusted peer", "198.51.100.4:5000", "/things", "198.51.100.4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen, audit.entries = "", nil
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(`{}`))
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			req.Header.Set("Authorization", "Bearer member")
			h.ServeHTTP(httptest.NewRecorder(), req)
			if seen != tt.want {
				t.Errorf("actor's address: got %q, want %q", seen, tt.want)
			}
			for _, e := range audit.entries {
				if e.RemoteAddr != tt.want {
					t.Errorf("audit record %s: address %q, want %q", e.Action, e.RemoteAddr, tt.want)
				}
			}
		})
	}
}
