package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/access"
	"github.com/meshgate/meshgate/internal/access/accesstest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/prometheus/client_golang/prometheus"
)

// authorizeBenchWriter is a reusable ResponseWriter for the benchmark.
type authorizeBenchWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *authorizeBenchWriter) Header() http.Header         { return w.h }
func (w *authorizeBenchWriter) WriteHeader(s int)           { w.status = s }
func (w *authorizeBenchWriter) Write(b []byte) (int, error) { return w.body.Write(b) }

// BenchmarkAuthorizeHandler measures POST /api/v1/authorize through the
// middleware, router and handler, without the network: what the server
// spends per request beyond net/http. Run it with -cpu 1.
func BenchmarkAuthorizeHandler(b *testing.B) {
	st := storetest.OpenSQLite(b, nil)
	cat := accesstest.NewCatalog()
	cat.AddDatabase("sales", "111122223333")
	cat.AddTable("sales", "orders", "id", "total", "email")
	accts := accesstest.NewAccounts()
	accts.AddAccount("central", "o-mesh", "admin")
	accts.AddAccount("111122223333", "o-mesh", "padmin", "bob")
	clock := mesh.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	svc := access.NewService(st, clock, access.Config{CentralAccountID: "central", Organization: "o-mesh"}, cat, accts)
	ctx := context.Background()
	if err := svc.Load(ctx); err != nil {
		b.Fatal(err)
	}
	admin := mesh.NewContext(ctx, &mesh.Actor{AccountID: "central", Username: "admin", Roles: []string{mesh.RoleAdmin}, CentralAccountID: "central"})
	if _, err := svc.Grant(admin, access.GrantInput{Principal: "111122223333/bob", Resource: mesh.Resource{Database: "sales", Table: "orders", Columns: []string{"id", "total"}},
		Permissions: mesh.PermissionsOf(mesh.PermSelect)}); err != nil {
		b.Fatal(err)
	}
	rt := web.NewRouter(tokenAuth{}, nil)
	Register(rt, &Deps{Store: st, Pages: web.NewPageTokens([]byte("k")), Access: svc, CentralAccountID: "central"})
	h := web.Middleware(rt, web.NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	cases := []struct {
		name, body string
		allowed    bool
	}{
		{"allowed", `{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["total"]}}`, true},
		{"denied", `{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["email"]}}`, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("POST", "/api/v1/authorize", nil)
			req.Header.Set("Authorization", "Bearer central/admin/admin")
			body := []byte(c.body)
			rd := bytes.NewReader(body)
			w := &authorizeBenchWriter{h: http.Header{}}
			want := []byte(`{"allowed":false`)
			if c.allowed {
				want = []byte(`{"allowed":true`)
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				w.body.Reset()
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				req.ContentLength = int64(len(body))
				h.ServeHTTP(w, req)
				if w.status != http.StatusOK || !bytes.HasPrefix(w.body.Bytes(), want) {
					b.Fatalf("got %d %s, want 200 %s", w.status, w.body.Bytes(), want)
				}
			}
		})
	}
}
