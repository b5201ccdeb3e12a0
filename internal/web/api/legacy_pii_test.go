package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store"
)

// TestLegacyPIIFlagsShown: pii_flag values an older version stored, which
// the catalog refuses now, are listed in the table's and the database's
// answers (legacy_pii_flags) for someone to correct; a Glue UpdateTable
// that sends such a value back as it read it is not refused for it, and
// the list empties once the value is set to true.
func TestLegacyPIIFlagsShown(t *testing.T) {
	ctx := context.Background()
	admin := legacyServer(t, func(d *mesh.Database, tb *mesh.Table) {
		d.Parameters = map[string]string{mesh.ParamPIIFlag: "yes"}
		tb.Columns[1].Parameters = map[string]string{mesh.ParamPIIFlag: "yes"}
	})
	legacy := func(path string) []catalog.LegacyFlag {
		t.Helper()
		var out struct {
			Legacy []catalog.LegacyFlag `json:"legacy_pii_flags"`
		}
		if err := admin.Do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
			t.Fatal(err)
		}
		return out.Legacy
	}
	if got, want := legacy("/api/v1/catalog/databases/d"), []catalog.LegacyFlag{{Field: "parameters.pii_flag", Value: "yes"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("database: got legacy_pii_flags %v, want %v", got, want)
	}
	if got, want := legacy("/api/v1/catalog/databases/d/tables/t"), []catalog.LegacyFlag{{Field: "columns[1].parameters.pii_flag", Value: "yes"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("table: got legacy_pii_flags %v, want %v", got, want)
	}

	tb, err := admin.GetTable(ctx, "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	input := func(flag string) json.RawMessage {
		return json.RawMessage(`{"Name": "t", "Description": "described", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"},
			{"Name": "email", "Type": "string", "Parameters": {"pii_flag": "` + flag + `"}}]}}`)
	}
	if _, err := admin.UpdateTableGlue(ctx, "d", "t", input("yes"), tb.Version); err != nil {
		t.Fatalf("a Glue update sending the legacy value back: got %v, want accepted", err)
	}
	if got := legacy("/api/v1/catalog/databases/d/tables/t"); len(got) != 1 {
		t.Errorf("after an update that kept it: got legacy_pii_flags %v, want the column's still listed", got)
	}
	if _, err := admin.UpdateTableGlue(ctx, "d", "t", input("true"), tb.Version+1); err != nil {
		t.Fatalf("set the flag to true: %v", err)
	}
	if got := legacy("/api/v1/catalog/databases/d/tables/t"); len(got) != 0 {
		t.Errorf("once set to true: got legacy_pii_flags %v, want none", got)
	}
}

// legacyServer returns a server's admin client, on a server holding the
// database d and its table t (columns id and email) as legacy changes
// them directly through the store, as an older version stored them before
// a check the catalog makes now.
func legacyServer(t *testing.T, legacy func(d *mesh.Database, tb *mesh.Table)) *client.Client {
	t.Helper()
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{})
	if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "d"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTables(ctx, "d", []client.Table{{Name: "t", Columns: []client.Column{{Name: "id", Type: "int"}, {Name: "email", Type: "string"}}}}); err != nil {
		t.Fatal(err)
	}
	err := srv.Store.Update(ctx, func(tx store.Tx) error {
		d, err := tx.FindDatabase(ctx, "d")
		if err != nil {
			return err
		}
		tb, err := tx.FindTable(ctx, "d", "t")
		if err != nil {
			return err
		}
		legacy(d, tb)
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return err
		}
		return tx.UpdateTable(ctx, tb, tb.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
	return admin
}
