package auth_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// BenchmarkAuthenticateToken measures the per-request cost of a bearer
// token on SQLite: one indexed lookup of its SHA-256, no password hashing.
func BenchmarkAuthenticateToken(b *testing.B) {
	s := storetest.OpenSQLite(b, nil)
	f := newFixture(b, s)
	r := httptest.NewRequest("GET", "/api/v1/accounts", nil)
	r.Header.Set("Authorization", "Bearer "+bootstrapToken)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
