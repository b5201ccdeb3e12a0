package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestFillLocationKeys: rows written before the store kept location keys
// (migration 0006 leaves them NULL) get them when the store opens.
func TestFillLocationKeys(t *testing.T) {
	ctx := context.Background()
	url, schema := storetest.PostgresURL(t), storetest.NewSchemaName(t)
	db, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storetest.DropSchema(t, url, schema) })
	err = db.Update(ctx, func(tx store.Tx) error {
		d := &mesh.Database{Name: "sales", LocationURI: "S3://Sales-Data", Parameters: map[string]string{mesh.ParamDataOwner: "111122223333"}}
		if err := tx.CreateDatabase(ctx, d); err != nil {
			return err
		}
		return tx.CreateTables(ctx, "sales", []*mesh.Table{{Name: "orders", Location: "s3a://sales-data/orders"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE catalog_databases SET location_key = NULL; UPDATE catalog_tables SET location_key = NULL`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = postgres.Open(ctx, url, postgres.Options{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool().Query(ctx, `SELECT location_key FROM catalog_databases UNION ALL SELECT location_key FROM catalog_tables`)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[*string])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		if k == nil {
			t.Fatal("got a NULL location key after opening, want every key filled")
		}
		got = append(got, *k)
	}
	slices.Sort(got)
	if want := []string{"s3://sales-data/", "s3://sales-data/orders/"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
