package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// TestFillLocationKeys: rows written before the store kept location keys
// (migration 0006 leaves them NULL) get them when the store opens.
func TestFillLocationKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
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
	for _, q := range []string{`UPDATE catalog_databases SET location_key = NULL`, `UPDATE catalog_tables SET location_key = NULL`} {
		if _, err := db.writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = Open(ctx, path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keys []string
	rows, err := db.reader.QueryContext(ctx, `SELECT location_key FROM catalog_databases UNION ALL SELECT location_key FROM catalog_tables`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k *string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		if k == nil {
			t.Fatal("got a NULL location key after opening, want every key filled")
		}
		keys = append(keys, *k)
	}
	if len(keys) != 2 || keys[0] != "s3://sales-data/" || keys[1] != "s3://sales-data/orders/" {
		t.Errorf("got %q, want the normalized keys", keys)
	}
}
