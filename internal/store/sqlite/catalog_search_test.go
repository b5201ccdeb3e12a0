package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestSearchBeyondCandidates checks that a term matching more rows than are
// ranked still finds the table named after it, created last.
func TestSearchBeyondCandidates(t *testing.T) {
	s := storetest.OpenSQLite(t, nil)
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "big"}); err != nil {
			return err
		}
		var batch []*mesh.Table
		for i := range 1500 {
			batch = append(batch, &mesh.Table{Name: fmt.Sprintf("t%04d", i), Description: "holds a widget",
				Columns: []mesh.Column{{Name: "widget_id", Type: "bigint"}}})
			if len(batch) == 500 {
				if err := tx.CreateTables(ctx, "big", batch); err != nil {
					return err
				}
				batch = nil
			}
		}
		return tx.CreateTable(ctx, &mesh.Table{DatabaseName: "big", Name: "widget", Columns: []mesh.Column{{Name: "id", Type: "bigint"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		hits, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: "widget", Limit: 5})
		if err != nil {
			return err
		}
		if len(hits) != 5 || hits[0].Kind != store.HitTable || hits[0].Table != "widget" {
			t.Errorf("got %+v, want the table named widget first of 5 hits", hits)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
