package postgres_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestSchemaURLPoolSettings: a URL may carry the pool's own settings, which
// the server does not know, through the schema helpers to the store.
func TestSchemaURLPoolSettings(t *testing.T) {
	ctx := context.Background()
	base := storetest.PostgresURL(t) + "&pool_max_conns=3"
	schema := storetest.NewSchemaName(t)
	url, err := postgres.SchemaURL(ctx, base, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := postgres.DropSchema(ctx, base, schema); err != nil {
			t.Error(err)
		}
	}()
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Pool().Config().MaxConns; got != 3 {
		t.Errorf("got a pool of %d connections, want the URL's 3", got)
	}
	n, err := postgres.SchemaSize(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("got a migrated schema of 0 bytes, want its tables'")
	}
}
