package catalog_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// storeLegacyPIIFlags writes pii_flag values the catalog refuses now, as
// older versions stored them, directly through the store: the database
// "sales" gets "yes", the table "orders" "1", its column "email" "yes" and
// a partition key "dt" "".
func storeLegacyPIIFlags(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		d, err := tx.FindDatabase(ctx, "sales")
		if err != nil {
			return err
		}
		d.Parameters[mesh.ParamPIIFlag] = "yes"
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return err
		}
		tb, err := tx.FindTable(ctx, "sales", "orders")
		if err != nil {
			return err
		}
		tb.Parameters = map[string]string{mesh.ParamPIIFlag: "1"}
		tb.Columns[1].Parameters[mesh.ParamPIIFlag] = "yes"
		tb.PartitionKeys = []mesh.Column{{Name: "dt", Type: "date", Parameters: map[string]string{mesh.ParamPIIFlag: ""}}}
		return tx.UpdateTable(ctx, tb, tb.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLegacyPIIFlagKept: a pii_flag value stored before the catalog refused
// values other than true and false stays through an update that does not
// set it, whether the update leaves the field out or sends it back as it
// read it (as Glue's UpdateTable and the platform sync do); an update that
// sets such a value, on another field or in place of the old one, is
// refused naming the field, and changes nothing.
func TestLegacyPIIFlagKept(t *testing.T) {
	flagged := func(v string) map[string]string { return map[string]string{mesh.ParamPIIFlag: v} }
	tableTests := []tableUpdateCase{
		{"description only", func(*mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Description: new(string("orders, described"))}
		}, ""},
		{"the whole table sent back as read", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Description = "orders, described"
			return catalog.TableReplace(cur)
		}, ""},
		{"columns sent back with another column", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Columns: append(cur.Columns, mesh.Column{Name: "phone", Type: "string"})}
		}, ""},
		{"a legacy value on a new column", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Columns: append(cur.Columns, mesh.Column{Name: "phone", Type: "string", Parameters: flagged("yes")})}
		}, "columns[2].parameters.pii_flag"},
		{"another legacy value in place of the old", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Columns[1].Parameters = flagged("Y")
			return catalog.TableUpdate{Columns: cur.Columns}
		}, "columns[1].parameters.pii_flag"},
		{"a legacy value on the table", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Parameters: flagged("on")}
		}, "parameters.pii_flag"},
		{"a partition key's legacy value on a column", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Columns: append(cur.Columns, mesh.Column{Name: "dt2", Type: "date", Parameters: flagged("")})}
		}, "columns[2].parameters.pii_flag"},
	}
	for _, tt := range tableTests {
		t.Run("table/"+tt.name, func(t *testing.T) {
			got, _ := updateLegacyTable(t, storeLegacyPIIFlags, tt.update, tt.field)
			if got == nil {
				return
			}
			kept := []struct{ got, want string }{
				{got.Parameters[mesh.ParamPIIFlag], "1"},
				{got.Columns[1].Parameters[mesh.ParamPIIFlag], "yes"},
				{got.PartitionKeys[0].Parameters[mesh.ParamPIIFlag], ""},
			}
			for _, k := range kept {
				if k.got != k.want {
					t.Errorf("got pii_flag %q, want the stored %q kept", k.got, k.want)
				}
			}
			if got.HasPII() {
				t.Errorf("got %v flagged, want legacy values read as not PII, as before", got.PIIColumns())
			}
		})
	}

	databaseTests := []databaseUpdateCase{
		{"description only", func(*mesh.Database) catalog.DatabaseUpdate {
			return catalog.DatabaseUpdate{Description: new(string("sales, described"))}
		}, ""},
		{"the whole database sent back as read", func(cur *mesh.Database) catalog.DatabaseUpdate {
			cur.Description = "sales, described"
			return catalog.DatabaseReplace(cur)
		}, ""},
		{"another legacy value in place of the old", func(cur *mesh.Database) catalog.DatabaseUpdate {
			cur.Parameters[mesh.ParamPIIFlag] = "1"
			return catalog.DatabaseUpdate{Parameters: cur.Parameters}
		}, "parameters.pii_flag"},
	}
	for _, tt := range databaseTests {
		t.Run("database/"+tt.name, func(t *testing.T) {
			got := updateLegacyDatabase(t, storeLegacyPIIFlags, tt.update, tt.field)
			if got == nil {
				return
			}
			if v := got.Parameters[mesh.ParamPIIFlag]; v != "yes" || got.PII() {
				t.Errorf("got pii_flag %q (PII %v), want the stored %q kept, read as not PII", v, got.PII(), "yes")
			}
		})
	}
}

// tableUpdateCase is an update of the table sales.orders holding values an
// older version stored: update builds it from the table as read, and field
// is the field its refusal names, "" when it is accepted.
type tableUpdateCase struct {
	name   string
	update func(cur *mesh.Table) catalog.TableUpdate
	field  string
}

// databaseUpdateCase is tableUpdateCase for the database sales.
type databaseUpdateCase struct {
	name   string
	update func(cur *mesh.Database) catalog.DatabaseUpdate
	field  string
}

// updateLegacyTable makes, on a fresh service's table sales.orders after
// legacy stored there what older versions stored, the update that update
// builds from the table as read, as the producer's admin. An update that
// should be refused (field, the field its refusal names) must be, and
// leave the table's version as it was; one that should be accepted (field
// "") must be. It returns the table as updated and as read before, or nil
// for a refused update.
func updateLegacyTable(t *testing.T, legacy func(*testing.T, store.Store), update func(cur *mesh.Table) catalog.TableUpdate, field string) (got, cur *mesh.Table) {
	t.Helper()
	s, st := newService(t)
	legacy(t, st)
	ctx := as(producerAdmin)
	read := func() *mesh.Table {
		t.Helper()
		tb, err := s.FindTable(ctx, "sales", "orders")
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	cur = read()
	got, err := s.UpdateTable(ctx, "sales", "orders", update(cur.Clone()), cur.Version)
	if !accepted(t, err, field, cur.Version, func() int64 { return read().Version }) {
		return nil, cur
	}
	return got, cur
}

// updateLegacyDatabase is updateLegacyTable for the database sales.
func updateLegacyDatabase(t *testing.T, legacy func(*testing.T, store.Store), update func(cur *mesh.Database) catalog.DatabaseUpdate, field string) *mesh.Database {
	t.Helper()
	s, st := newService(t)
	legacy(t, st)
	cur := mustDatabase(t, s)
	got, err := s.UpdateDatabase(as(producerAdmin), "sales", update(cur.Clone()), cur.Version)
	if !accepted(t, err, field, cur.Version, func() int64 { return mustDatabase(t, s).Version }) {
		return nil
	}
	return got
}

// accepted checks err, the outcome of an update that should be refused
// naming field, or accepted when field is "", and that a refused update
// left the version (read again by version) at before. It reports whether
// the update was accepted.
func accepted(t *testing.T, err error, field string, before int64, version func() int64) bool {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("got %v, want the update accepted", err)
		}
		return true
	}
	var me *mesh.Error
	if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != field {
		t.Fatalf("got %v, want invalid naming %s", err, field)
	}
	if v := version(); v != before {
		t.Errorf("a refused update changed what it updated: got version %d, want %d", v, before)
	}
	return false
}

// storeLegacyText writes text the catalog refuses now, as versions before
// it checked control characters stored it, directly through the store:
// line breaks in the database "sales"' description and a parameter, and
// in the table "orders"' description, table type, a parameter's key and
// value, its SerDe's name and a SerDe value (NUL), the column "email"'s
// type, comment and a parameter.
func storeLegacyText(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		d, err := tx.FindDatabase(ctx, "sales")
		if err != nil {
			return err
		}
		d.Description = "Sales\nEMEA"
		d.Parameters["note"] = "first line\nsecond line"
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return err
		}
		tb, err := tx.FindTable(ctx, "sales", "orders")
		if err != nil {
			return err
		}
		tb.Description = "orders\r\nof 2026"
		tb.TableType = "EXTERNAL_TABLE\n"
		tb.Parameters = map[string]string{"note": "a\nb", "key\x01": "v"}
		tb.Format.SerDe = mesh.SerDe{Name: "serde\n", Parameters: map[string]string{"null.format": "\x00"}}
		tb.Columns[1].Type = "struct<street:string,\ncity:string>"
		tb.Columns[1].Comment = "where the\ncustomer lives"
		tb.Columns[1].Parameters["note"] = "a\u0085b"
		return tx.UpdateTable(ctx, tb, tb.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLegacyTextKept: text stored before the catalog refused control
// characters in its one-line fields and parameters (a line break in a
// description, a column's type or comment, a parameter) stays through an
// update that does not set it, whether the update leaves the field out or
// sends it back as it read it (Glue's UpdateTable and UpdateDatabase, the
// platform sync), even with the column moved; an update that sets such
// text, on another field or in place of the old, is refused naming the
// field, and changes nothing.
func TestLegacyTextKept(t *testing.T) {
	tableTests := []tableUpdateCase{
		{"description only", func(*mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Description: new(string("orders, described"))}
		}, ""},
		{"the whole table sent back as read", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Location = "s3://sales-data/orders/"
			return catalog.TableReplace(cur)
		}, ""},
		{"columns sent back moved, with another column", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Columns: []mesh.Column{{Name: "phone", Type: "string"}, cur.Columns[1], cur.Columns[0]}}
		}, ""},
		{"parameters sent back with another", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Parameters["owner_team"] = "billing"
			return catalog.TableUpdate{Parameters: cur.Parameters}
		}, ""},
		{"a line break in another description", func(*mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Description: new(string("orders\nof 2027"))}
		}, "description"},
		{"a line break in a new column's comment", func(cur *mesh.Table) catalog.TableUpdate {
			return catalog.TableUpdate{Columns: append(cur.Columns, mesh.Column{Name: "phone", Type: "string", Comment: "a\nb"})}
		}, "columns[2].comment"},
		{"another line break in place of the old type", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Columns[1].Type = "struct<street:string,\nzip:string>"
			return catalog.TableUpdate{Columns: cur.Columns}
		}, "columns[1].type"},
		{"a line break in a new parameter", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Parameters["other"] = "c\nd"
			return catalog.TableUpdate{Parameters: cur.Parameters}
		}, "parameters.other"},
		{"a NUL in another SerDe value", func(cur *mesh.Table) catalog.TableUpdate {
			cur.Format.SerDe.Parameters["field.delim"] = "\x00"
			return catalog.TableUpdate{Format: &cur.Format}
		}, "format.serde.parameters.field.delim"},
	}
	for _, tt := range tableTests {
		t.Run("table/"+tt.name, func(t *testing.T) {
			got, cur := updateLegacyTable(t, storeLegacyText, tt.update, tt.field)
			if got == nil {
				return
			}
			email := got.Columns[slices.IndexFunc(got.Columns, func(c mesh.Column) bool { return c.Name == "email" })]
			kept := []struct{ got, want string }{
				{got.TableType, cur.TableType},
				{got.Parameters["note"], "a\nb"},
				{got.Parameters["key\x01"], "v"},
				{got.Format.SerDe.Name, "serde\n"},
				{got.Format.SerDe.Parameters["null.format"], "\x00"},
				{email.Type, cur.Columns[1].Type},
				{email.Comment, cur.Columns[1].Comment},
				{email.Parameters["note"], "a\u0085b"},
			}
			for _, k := range kept {
				if k.got != k.want {
					t.Errorf("got %q, want the stored %q kept", k.got, k.want)
				}
			}
		})
	}

	databaseTests := []databaseUpdateCase{
		{"location only", func(*mesh.Database) catalog.DatabaseUpdate {
			return catalog.DatabaseUpdate{LocationURI: new(string("s3://sales-data/"))}
		}, ""},
		{"the whole database sent back as read", func(cur *mesh.Database) catalog.DatabaseUpdate {
			cur.Parameters["owner_team"] = "billing"
			return catalog.DatabaseReplace(cur)
		}, ""},
		{"a line break in a new parameter", func(cur *mesh.Database) catalog.DatabaseUpdate {
			cur.Parameters["other"] = "c\nd"
			return catalog.DatabaseUpdate{Parameters: cur.Parameters}
		}, "parameters.other"},
		{"another line break in place of the old description", func(*mesh.Database) catalog.DatabaseUpdate {
			return catalog.DatabaseUpdate{Description: new(string("Sales\nAPAC"))}
		}, "description"},
	}
	for _, tt := range databaseTests {
		t.Run("database/"+tt.name, func(t *testing.T) {
			got := updateLegacyDatabase(t, storeLegacyText, tt.update, tt.field)
			if got == nil {
				return
			}
			if got.Description != "Sales\nEMEA" || got.Parameters["note"] != "first line\nsecond line" {
				t.Errorf("got description %q and note %q, want the stored text kept", got.Description, got.Parameters["note"])
			}
		})
	}
}
