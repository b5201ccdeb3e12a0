package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/loadtest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/web"
	"github.com/meshgate/meshgate/internal/web/api"
)

// benchCatalogServer serves the catalog API over loopback HTTP on a SQLite
// store holding n generated tables of 20 columns.
func benchCatalogServer(b *testing.B, n int) (string, loadtest.CatalogSpec) {
	b.Helper()
	ctx := mesh.NewContext(context.Background(), actors["admin"])
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc := catalog.NewService(st, nil)
	spec := loadtest.CatalogSpec{Tables: n}.WithDefaults()
	storetest.CreateAccounts(b, st, loadtest.Owners...)
	for i := range spec.Databases() {
		if _, err := svc.CreateDatabase(ctx, spec.Database(i)); err != nil {
			b.Fatal(err)
		}
	}
	for start := 0; start < n; start += 100 {
		var batch []*mesh.Table
		for i := start; i < min(start+100, n); i++ {
			batch = append(batch, spec.Table(i))
		}
		if _, err := svc.CreateTables(ctx, spec.TableDatabase(start), batch); err != nil {
			b.Fatal(err)
		}
	}
	rt := web.NewRouter(actors, nil)
	api.Register(rt, &api.Deps{Store: st, Pages: web.NewPageTokens([]byte("k")), Catalog: svc, CentralAccountID: "central"})
	srv := httptest.NewServer(web.Middleware(rt, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
	b.Cleanup(srv.Close)
	return srv.URL, spec
}

func benchGet(b *testing.B, url string) {
	b.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer member")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: status %d", url, resp.StatusCode)
	}
}

// BenchmarkGetTableHTTP reads random tables of 20 columns over loopback HTTP.
func BenchmarkGetTableHTTP(b *testing.B) {
	base, spec := benchCatalogServer(b, 2000)
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		i := r.IntN(spec.Tables)
		benchGet(b, fmt.Sprintf("%s/api/v1/catalog/databases/%s/tables/%s", base, spec.TableDatabase(i), spec.TableName(i)))
	}
}

// BenchmarkSearchHTTP searches one or two vocabulary words over loopback HTTP.
func BenchmarkSearchHTTP(b *testing.B) {
	base, _ := benchCatalogServer(b, 2000)
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		benchGet(b, base+"/api/v1/catalog/search?q="+url.QueryEscape(loadtest.SearchQuery(r, false)))
	}
}
