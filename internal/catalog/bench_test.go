package catalog_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/loadtest"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// BenchmarkCreateTables creates batches of 100 generated tables of 20
// columns through the service, on SQLite with synchronous=FULL as served.
func BenchmarkCreateTables(b *testing.B) {
	ctx := mesh.NewContext(context.Background(), meshAdmin)
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := catalog.NewService(st, nil)
	spec := loadtest.CatalogSpec{Tables: 1 << 30, TablesPerDatabase: 1 << 30}.WithDefaults()
	storetest.CreateAccounts(b, st, spec.Database(0).DataOwner())
	if _, err := s.CreateDatabase(ctx, spec.Database(0)); err != nil {
		b.Fatal(err)
	}
	next := 0
	for b.Loop() {
		batch := make([]*mesh.Table, 100)
		for i := range batch {
			batch[i] = spec.Table(next)
			next++
		}
		if _, err := s.CreateTables(ctx, spec.DatabaseName(0), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "tables/s")
}
