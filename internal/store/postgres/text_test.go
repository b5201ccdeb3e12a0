package postgres_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestTextRefused: text PostgreSQL cannot hold (a NUL, bytes that are not
// UTF-8), written or looked for, is refused as invalid input, not an
// internal error, whichever field carries it.
func TestTextRefused(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, storetest.PostgresSchemaURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, text := range []string{"a\x00b", "a\xffb"} {
		err := db.Update(ctx, func(tx store.Tx) error {
			return tx.CreateDatabase(ctx, &mesh.Database{Name: "sales", Description: text})
		})
		if !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("write %q: got %v, want %s", text, err, mesh.EINVALID)
		}
		err = db.View(ctx, func(tx store.Tx) error {
			_, err := tx.FindDatabase(ctx, text)
			return err
		})
		if !mesh.IsCode(err, mesh.EINVALID) {
			t.Errorf("look for %q: got %v, want %s", text, err, mesh.EINVALID)
		}
	}
}
