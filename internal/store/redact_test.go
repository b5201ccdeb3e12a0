package store_test

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestRedactedAuditDetailCut: a refusal's detail cut at its length limit
// inside a quoted webhook URL keeps no more of it than its scheme and
// host; one cut inside an email address, which holds no secret, stays as
// it is; and a detail rewritten once is not rewritten again.
func TestRedactedAuditDetailCut(t *testing.T) {
	cut := func(s string) string { return s[:256-len("…")] + "…" }
	long := "https://hooks.example.com:8443/services/" + strings.Repeat("SECRET", 60)
	tests := []struct{ action, detail, want string }{
		{"POST /api/v1/subscriptions", cut(`"` + long + `" has no host`), `"https://hooks.example.com:8443…`},
		{"POST /api/v1/subscriptions", cut(`is not a URL: parse "` + long + `": invalid port`), `is not a URL: parse "https://hooks.example.com:8443…`},
		{"POST /api/v1/subscriptions", cut(`a subscription of protocol http needs an http:// URL, not "` + long + `"`),
			`a subscription of protocol http needs an http:// URL, not "https://hooks.example.com:8443…`},
		{"POST /admin/notifications", cut(`"` + strings.Repeat("ann", 100) + `@example.com" is not an email address`),
			cut(`"` + strings.Repeat("ann", 100) + `@example.com" is not an email address`)},
	}
	for _, tt := range tests {
		got, _ := store.RedactedAuditDetail(tt.action, mesh.EINVALID, tt.detail)
		if got != tt.want {
			t.Errorf("%.60s: got %q, want %q", tt.detail, got, tt.want)
		}
		if again, changed := store.RedactedAuditDetail(tt.action, mesh.EINVALID, got); changed {
			t.Errorf("%.60s: rewritten again to %q", got, again)
		}
	}
}
