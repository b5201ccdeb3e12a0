package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// TestGlueSendsLegacyTextBack: a table and a database holding line breaks
// that the catalog stored before it refused them (descriptions, a column's
// comment, parameters) take Glue's UpdateTable and UpdateDatabase with the
// definition sent back as GetTable and GetDatabase read it and one thing
// changed, and keep the text; a line break the update sets is refused,
// naming the field in Glue's shape.
func TestGlueSendsLegacyTextBack(t *testing.T) {
	ctx := context.Background()
	admin := legacyServer(t, func(d *mesh.Database, tb *mesh.Table) {
		d.Description, d.Parameters = "sales\ndata", map[string]string{"note": "a\nb"}
		tb.Description, tb.Parameters = "orders\r\nof 2026", map[string]string{"note": "c\nd"}
		tb.Columns[1].Comment = "the customer's\naddress"
	})

	read := glueRead[struct{ Table catalog.GlueTable }](t)(admin.GetTableGlue(ctx, "d", "t")).Table
	tableInput := func(comment string) json.RawMessage {
		sd := read.StorageDescriptor
		sd.Columns = append(sd.Columns[:len(sd.Columns):len(sd.Columns)], catalog.GlueColumn{Name: "phone", Type: "string", Comment: comment})
		in, err := json.Marshal(catalog.GlueTableInput{Name: read.Name, Description: read.Description, TableType: read.TableType,
			Parameters: read.Parameters, PartitionKeys: read.PartitionKeys, StorageDescriptor: &sd})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	e := wantHTTPError(t, "a line break in a new column's comment", func() error {
		_, err := admin.UpdateTableGlue(ctx, "d", "t", tableInput("a\nb"), 2)
		return err
	}(), http.StatusBadRequest)
	if want := "table_input.StorageDescriptor.Columns[2].Comment"; e.Field != want {
		t.Errorf("got field %q, want %q", e.Field, want)
	}
	if _, err := admin.UpdateTableGlue(ctx, "d", "t", tableInput("their phone"), 2); err != nil {
		t.Fatalf("UpdateTable sending the table back as read with a new column: got %v, want accepted", err)
	}
	tb, err := admin.GetTable(ctx, "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	if tb.Description != "orders\r\nof 2026" || tb.Parameters["note"] != "c\nd" || tb.Columns[1].Comment != "the customer's\naddress" || len(tb.Columns) != 3 {
		t.Errorf("got %+v, want the stored text kept and the column added", tb)
	}

	rd := glueRead[struct{ Database catalog.GlueDatabase }](t)(admin.GetDatabaseGlue(ctx, "d")).Database
	rd.Parameters[mesh.ParamPIIFlag] = "true"
	in, err := json.Marshal(catalog.GlueDatabaseInput{Name: rd.Name, Description: rd.Description, LocationUri: rd.LocationUri, Parameters: rd.Parameters})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UpdateDatabaseGlue(ctx, "d", in, 2); err != nil {
		t.Fatalf("UpdateDatabase sending the database back as read, flagged: got %v, want accepted", err)
	}
	d, err := admin.GetDatabase(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if d.Description != "sales\ndata" || d.Parameters["note"] != "a\nb" || d.Parameters[mesh.ParamPIIFlag] != "true" {
		t.Errorf("got %+v, want the stored text kept and the database flagged", d)
	}
}

// glueRead returns a function that decodes a Glue-shaped answer into T,
// failing t on the call's error or an answer it cannot decode.
func glueRead[T any](t *testing.T) func(raw json.RawMessage, err error) T {
	return func(raw json.RawMessage, err error) T {
		t.Helper()
		var out T
		if err == nil {
			err = json.Unmarshal(raw, &out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}
