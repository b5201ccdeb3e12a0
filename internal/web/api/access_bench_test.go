package api

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// authorizeBenchHandler serves the API as the server does (middleware with
// metrics, router, handlers) over a store holding one column grant to
// 111122223333/bob on sales.orders (id, total).
func authorizeBenchHandler(b *testing.B) http.Handler {
	b.Helper()
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
	return web.Middleware(rt, web.NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// authorizeBenchCases are an allowed and a denied question.
var authorizeBenchCases = []struct {
	name, body string
	allowed    bool
}{
	{"allowed", `{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["total"]}}`, true},
	{"denied", `{"principal":"111122223333/bob","action":"SELECT","resource":{"database":"sales","table":"orders","columns":["email"]}}`, false},
}

// BenchmarkAuthorizeHandler measures POST /api/v1/authorize through the
// middleware, router and handler, without the network: what the server
// spends per request beyond net/http. Run it with -cpu 1.
func BenchmarkAuthorizeHandler(b *testing.B) {
	h := authorizeBenchHandler(b)
	for _, c := range authorizeBenchCases {
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

// BenchmarkAuthorizeHTTP asks POST /api/v1/authorize over loopback HTTP/1.1
// on one keep-alive connection: net/http, the middleware, router and handler
// on the server side, and a minimal client. Run it with -cpu 1.
func BenchmarkAuthorizeHTTP(b *testing.B) {
	srv := httptest.NewServer(authorizeBenchHandler(b))
	b.Cleanup(srv.Close)
	for _, c := range authorizeBenchCases {
		b.Run(c.name, func(b *testing.B) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			req := []byte("POST /api/v1/authorize HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer central/admin/admin\r\n" +
				"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(c.body)) + "\r\n\r\n" + c.body)
			rd := bufio.NewReader(conn)
			want := []byte(`{"allowed":false`)
			if c.allowed {
				want = []byte(`{"allowed":true`)
			}
			var body []byte
			b.ReportAllocs()
			for b.Loop() {
				if _, err := conn.Write(req); err != nil {
					b.Fatal(err)
				}
				status, err := rd.ReadSlice('\n')
				if err != nil {
					b.Fatal(err)
				}
				ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
				length := 0
				for {
					line, err := rd.ReadSlice('\n')
					if err != nil {
						b.Fatal(err)
					}
					if len(line) <= 2 {
						break
					}
					if v, found := bytes.CutPrefix(line, []byte("Content-Length: ")); found {
						length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
					}
				}
				body = append(body[:0], make([]byte, length)...)
				if _, err := io.ReadFull(rd, body); err != nil {
					b.Fatal(err)
				}
				if !ok || !bytes.HasPrefix(body, want) {
					b.Fatalf("got %s %s, want 200 %s", bytes.TrimSpace(status), body, want)
				}
			}
		})
	}
}
