package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("catalog/databases", testCatalogDatabases)
	register("catalog/tables", testCatalogTables)
	register("catalog/filters", testCatalogFilters)
	register("catalog/search", testCatalogSearch)
	register("catalog/batch", testCatalogBatch)
	register("catalog/search-many", testCatalogSearchMany)
	register("catalog/search-large", testCatalogSearchLarge)
	register("catalog/lock-database", testCatalogLockDatabase)
}

// testCatalogLockDatabase checks that LockDatabase reads the database as
// committed, past what the transaction read of it before, and answers
// ENOTFOUND for a missing one; and that a change of the database by another
// transaction waits for the one that holds it (on SQLite, for the writer).
func testCatalogLockDatabase(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		return tx.CreateDatabase(ctx, &mesh.Database{Name: "sales", Parameters: map[string]string{mesh.ParamDataOwner: "111122223333"}})
	})
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.FindDatabase(ctx, "sales"); err != nil {
				return err
			}
			d, err := tx.LockDatabase(ctx, "sales")
			if err != nil {
				return err
			}
			if d.DataOwner() != "111122223333" || d.Version != 1 {
				t.Errorf("locked: got %+v, want version 1 owned by 111122223333", d)
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	changed := make(chan error, 1)
	go func() {
		changed <- s.Update(ctx, func(tx store.Tx) error {
			d, err := tx.FindDatabase(ctx, "sales")
			if err != nil {
				return err
			}
			d = d.Clone()
			d.Parameters[mesh.ParamDataOwner] = "444455556666"
			return tx.UpdateDatabase(ctx, d, 1)
		})
	}()
	select {
	case err := <-changed:
		t.Errorf("a change of the held database finished (%v) while it was held, want it to wait", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if _, err := tx.FindDatabase(ctx, "sales"); err != nil {
			return err
		}
		d, err := tx.LockDatabase(ctx, "sales")
		if err != nil {
			return err
		}
		if d.DataOwner() != "444455556666" || d.Version != 2 {
			t.Errorf("locked after the change: got %+v, want version 2 owned by 444455556666", d)
		}
		if _, err := tx.LockDatabase(ctx, "nope"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("missing database: got %v, want not found", err)
		}
		return nil
	})
}

// testCatalogSearchLarge checks that a table within every limit of its own
// but with a large search document (1000 columns with 700-byte comments of
// distinct words, past PostgreSQL's 1 MB for a tsvector) is stored, created
// and updated, and found by its name, description, parameter values and
// first columns' words.
func testCatalogSearchLarge(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var cols []mesh.Column
	w := 0
	for i := 0; i < 1000; i++ {
		var b strings.Builder
		for b.Len() < 700 {
			fmt.Fprintf(&b, "w%x ", w)
			w++
		}
		cols = append(cols, mesh.Column{Name: fmt.Sprintf("c%d", i), Type: "string", Comment: b.String()})
	}
	tb := &mesh.Table{DatabaseName: "big", Name: "wide", Description: "one enormous table",
		Parameters: map[string]string{"classification": "restricted"}, Columns: cols}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "big"}); err != nil {
			return err
		}
		return tx.CreateTable(ctx, tb)
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		tb.Description = "one enormous wide table"
		return tx.UpdateTable(ctx, tb, tb.Version)
	})
	for _, q := range []string{"wide", "enormous", "restricted", "w0", "w1f4"} {
		mustView(t, s, func(tx store.Tx) error {
			hits, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: q})
			if err != nil {
				return err
			}
			if len(hits) == 0 || hits[0].Table != "wide" {
				t.Errorf("search %q: got %+v, want the table wide first", q, hits)
			}
			return nil
		})
	}
}

// testCatalogSearchMany checks that a term matching more rows than a store
// ranks still finds the table named after it, created last.
func testCatalogSearchMany(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "big"}); err != nil {
			return err
		}
		for start := 0; start < 1500; start += 500 {
			var batch []*mesh.Table
			for i := start; i < start+500; i++ {
				batch = append(batch, &mesh.Table{Name: fmt.Sprintf("t%04d", i), Description: "holds a widget",
					Columns: []mesh.Column{{Name: "widget_id", Type: "bigint"}}})
			}
			if err := tx.CreateTables(ctx, "big", batch); err != nil {
				return err
			}
		}
		return tx.CreateTable(ctx, &mesh.Table{DatabaseName: "big", Name: "widget", Columns: []mesh.Column{{Name: "id", Type: "bigint"}}})
	})
	mustView(t, s, func(tx store.Tx) error {
		hits, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: "widget", Limit: 5})
		if err != nil {
			return err
		}
		if len(hits) != 5 || hits[0].Kind != store.HitTable || hits[0].Table != "widget" {
			t.Errorf("got %+v, want the table named widget first of 5 hits", hits)
		}
		return nil
	})
}

func testCatalogBatch(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreateDatabase(ctx, &mesh.Database{Name: "sales"}) })
	batch := []*mesh.Table{sampleTable("", "a", true), sampleTable("", "b", false), sampleTable("", "c", false)}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreateTables(ctx, "sales", batch) })
	for _, tb := range batch {
		if tb.Version != 1 || tb.DatabaseName != "sales" || tb.CreatedAt.IsZero() {
			t.Errorf("after batch: got %s.%s version %d created %v, want sales, version 1 and a time", tb.DatabaseName, tb.Name, tb.Version, tb.CreatedAt)
		}
	}
	tests := []struct {
		name     string
		database string
		tables   []*mesh.Table
		want     string
	}{
		{"taken name", "sales", []*mesh.Table{sampleTable("", "d", false), sampleTable("", "b", false)}, mesh.ECONFLICT},
		{"name twice", "sales", []*mesh.Table{sampleTable("", "e", false), sampleTable("", "e", false)}, mesh.ECONFLICT},
		{"no database", "nope", []*mesh.Table{sampleTable("", "f", false)}, mesh.ENOTFOUND},
	}
	for _, tt := range tests {
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateTables(ctx, tt.database, tt.tables) })
		if got := mesh.ErrorCode(err); got != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.want)
		}
	}
	mustView(t, s, func(tx store.Tx) error {
		ts, err := tx.FindTables(ctx, store.TableFilter{Database: "sales"})
		var got []string
		for _, tb := range ts {
			got = append(got, tb.Name)
		}
		if want := []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
			t.Errorf("tables: got %v, want %v (failed batches leave nothing)", got, want)
		}
		hits, err2 := tx.SearchCatalog(ctx, store.SearchQuery{Text: "customer"})
		if len(hits) != 3 {
			t.Errorf("search: got %d hits, want a column hit per table", len(hits))
		}
		if err == nil {
			err = err2
		}
		return err
	})
}

func mustUpdate(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func mustView(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// sampleTable returns a table of database db with a PII column when pii is set.
func sampleTable(db, name string, pii bool) *mesh.Table {
	flag := "false"
	if pii {
		flag = "true"
	}
	return &mesh.Table{
		DatabaseName: db, Name: name, Description: "orders placed in the web shop", TableType: "EXTERNAL_TABLE",
		Location: "s3://bucket/" + name + "/",
		Format: mesh.StorageFormat{InputFormat: "org.apache.hadoop.mapred.TextInputFormat",
			SerDe: mesh.SerDe{SerializationLibrary: "org.openx.data.jsonserde.JsonSerDe", Parameters: map[string]string{"paths": "id"}}},
		Parameters: map[string]string{"classification": "json"},
		Columns: []mesh.Column{
			{Name: "id", Type: "bigint"},
			{Name: "customer_email", Type: "string", Comment: "contact address", Parameters: map[string]string{"pii_flag": flag}},
		},
		PartitionKeys: []mesh.Column{{Name: "dt", Type: "string"}},
	}
}

func testCatalogDatabases(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	d := &mesh.Database{Name: "sales", Description: "Sales data", LocationURI: "s3://sales",
		Parameters: map[string]string{"data_owner": "111122223333", "pii_flag": "true"}}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreateDatabase(ctx, d) })
	if d.Version != 1 || d.CreatedAt.IsZero() {
		t.Errorf("after create: got version %d, created %v; want version 1 and a time", d.Version, d.CreatedAt)
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateDatabase(ctx, &mesh.Database{Name: "sales"}) })
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("duplicate create: got %v, want conflict", err)
	}
	mustView(t, s, func(tx store.Tx) error {
		got, err := tx.FindDatabase(ctx, "sales")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("got %+v, want %+v", got, d)
		}
		if _, err := tx.FindDatabase(ctx, "nope"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("missing: got %v, want not found", err)
		}
		return nil
	})

	upd := &mesh.Database{Name: "sales", Description: "Sales, v2", Parameters: map[string]string{"data_owner": "444455556666"}}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.UpdateDatabase(ctx, upd, 1) })
	if upd.Version != 2 || !upd.CreatedAt.Equal(d.CreatedAt) {
		t.Errorf("after update: got version %d created %v, want 2 and %v", upd.Version, upd.CreatedAt, d.CreatedAt)
	}
	stale := &mesh.Database{Name: "sales", Description: "lost update"}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateDatabase(ctx, stale, 1) })
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("stale update: got %v, want conflict", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateDatabase(ctx, &mesh.Database{Name: "nope"}, 1) })
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("update missing: got %v, want not found", err)
	}
	mustView(t, s, func(tx store.Tx) error {
		got, err := tx.FindDatabase(ctx, "sales")
		if err != nil {
			return err
		}
		if got.Description != "Sales, v2" || got.Version != 2 || got.DataOwner() != "444455556666" || got.LocationURI != "" {
			t.Errorf("got %+v, want the first update only", got)
		}
		return nil
	})

	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateTable(ctx, sampleTable("sales", "orders", false)); err != nil {
			return err
		}
		return tx.DeleteDatabase(ctx, "sales")
	})
	mustView(t, s, func(tx store.Tx) error {
		if _, err := tx.FindTable(ctx, "sales", "orders"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("table after database delete: got %v, want not found", err)
		}
		if hits, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: "orders"}); err != nil || len(hits) != 0 {
			t.Errorf("search after delete: got %v, %v; want no hits", hits, err)
		}
		return nil
	})
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteDatabase(ctx, "sales") })
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("delete twice: got %v, want not found", err)
	}
}

func testCatalogTables(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	tbl := sampleTable("sales", "orders", true)
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateTable(ctx, tbl) })
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("table in missing database: got %v, want not found", err)
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "sales"}); err != nil {
			return err
		}
		return tx.CreateTable(ctx, tbl)
	})
	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateTable(ctx, sampleTable("sales", "orders", false)) })
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("duplicate table: got %v, want conflict", err)
	}
	mustView(t, s, func(tx store.Tx) error {
		got, err := tx.FindTable(ctx, "sales", "orders")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, tbl) {
			t.Errorf("got %+v, want %+v", got, tbl)
		}
		n, err := tx.CountTables(ctx, "sales")
		if err != nil || n != 1 {
			t.Errorf("count: got %d, %v; want 1", n, err)
		}
		pii, err := tx.TablesHavePII(ctx, "sales")
		if err != nil || !pii {
			t.Errorf("tables have pii: got %v, %v; want true", pii, err)
		}
		return nil
	})

	upd := sampleTable("sales", "orders", false)
	upd.Columns = append(upd.Columns, mesh.Column{Name: "total", Type: "decimal(10,2)"})
	mustUpdate(t, s, func(tx store.Tx) error { return tx.UpdateTable(ctx, upd, 1) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateTable(ctx, sampleTable("sales", "orders", true), 1) })
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("stale table update: got %v, want conflict", err)
	}
	mustView(t, s, func(tx store.Tx) error {
		got, err := tx.FindTable(ctx, "sales", "orders")
		if err != nil {
			return err
		}
		if got.Version != 2 || len(got.Columns) != 3 || got.HasPII() {
			t.Errorf("got version %d, %d columns, pii %v; want 2, 3, false", got.Version, len(got.Columns), got.HasPII())
		}
		if pii, err := tx.TablesHavePII(ctx, "sales"); pii || err != nil {
			t.Errorf("tables have pii after update: got %v, %v; want false", pii, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx store.Tx) error { return tx.DeleteTable(ctx, "sales", "orders") })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteTable(ctx, "sales", "orders") })
	if !mesh.IsCode(err, mesh.ENOTFOUND) {
		t.Errorf("delete twice: got %v, want not found", err)
	}
}

func boolPtr(b bool) *bool { return &b }

func testCatalogFilters(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, d := range []*mesh.Database{
			{Name: "a-flagged", Parameters: map[string]string{"data_owner": "111122223333", "pii_flag": "TRUE"}},
			{Name: "b-columns", Parameters: map[string]string{"data_owner": "111122223333"}},
			{Name: "c-clean", Parameters: map[string]string{"data_owner": "444455556666"}},
			{Name: "d_unowned"},
		} {
			if err := tx.CreateDatabase(ctx, d); err != nil {
				return err
			}
		}
		for _, tb := range []*mesh.Table{
			sampleTable("b-columns", "t1", true), sampleTable("b-columns", "t2", false),
			sampleTable("c-clean", "t1", false), sampleTable("c-clean", "t3", false),
		} {
			if err := tx.CreateTable(ctx, tb); err != nil {
				return err
			}
		}
		return nil
	})
	dbTests := []struct {
		name   string
		filter store.DatabaseFilter
		want   []string
	}{
		{"all", store.DatabaseFilter{}, []string{"a-flagged", "b-columns", "c-clean", "d_unowned"}},
		{"owner", store.DatabaseFilter{Owner: "111122223333"}, []string{"a-flagged", "b-columns"}},
		{"pii counts columns", store.DatabaseFilter{PII: boolPtr(true)}, []string{"a-flagged", "b-columns"}},
		{"no pii", store.DatabaseFilter{PII: boolPtr(false)}, []string{"c-clean", "d_unowned"}},
		{"page 1", store.DatabaseFilter{Limit: 2}, []string{"a-flagged", "b-columns"}},
		{"page 2", store.DatabaseFilter{After: "b-columns", Limit: 2}, []string{"c-clean", "d_unowned"}},
		{"owner and no pii", store.DatabaseFilter{Owner: "444455556666", PII: boolPtr(false)}, []string{"c-clean"}},
	}
	for _, tt := range dbTests {
		t.Run("databases/"+tt.name, func(t *testing.T) {
			var got []string
			mustView(t, s, func(tx store.Tx) error {
				ds, err := tx.FindDatabases(ctx, tt.filter)
				for _, d := range ds {
					got = append(got, d.Name)
				}
				return err
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	tableTests := []struct {
		name   string
		filter store.TableFilter
		want   []string
	}{
		{"all", store.TableFilter{}, []string{"b-columns.t1", "b-columns.t2", "c-clean.t1", "c-clean.t3"}},
		{"database", store.TableFilter{Database: "c-clean"}, []string{"c-clean.t1", "c-clean.t3"}},
		{"database page", store.TableFilter{Database: "c-clean", AfterName: "t1"}, []string{"c-clean.t3"}},
		{"pii", store.TableFilter{PII: boolPtr(true)}, []string{"b-columns.t1"}},
		{"owner", store.TableFilter{Owner: "444455556666"}, []string{"c-clean.t1", "c-clean.t3"}},
		{"page across databases", store.TableFilter{AfterDatabase: "b-columns", AfterName: "t2", Limit: 1}, []string{"c-clean.t1"}},
	}
	for _, tt := range tableTests {
		t.Run("tables/"+tt.name, func(t *testing.T) {
			var got []string
			mustView(t, s, func(tx store.Tx) error {
				ts, err := tx.FindTables(ctx, tt.filter)
				for _, tb := range ts {
					got = append(got, tb.DatabaseName+"."+tb.Name)
				}
				return err
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func testCatalogSearch(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, d := range []*mesh.Database{
			{Name: "sales", Description: "Orders and invoices of the shop", Parameters: map[string]string{"data_owner_name": "Retail"}},
			{Name: "hr", Description: "People and payroll"},
		} {
			if err := tx.CreateDatabase(ctx, d); err != nil {
				return err
			}
		}
		for _, tb := range []*mesh.Table{
			{DatabaseName: "sales", Name: "orders", Description: "one row per order", Columns: []mesh.Column{{Name: "id", Type: "bigint"}}},
			{DatabaseName: "sales", Name: "customers", Description: "who buys",
				Columns: []mesh.Column{{Name: "id", Type: "bigint"}, {Name: "email_address", Type: "string", Comment: "where invoices go"}}},
			{DatabaseName: "hr", Name: "employees", Description: "staff 従業員",
				Columns: []mesh.Column{{Name: "salary", Type: "decimal", Parameters: map[string]string{"classification": "confidential"}}}},
			{DatabaseName: "hr", Name: "canteen", Description: "Crème brûlée, café au lait",
				Columns: []mesh.Column{{Name: "dish", Type: "string", Comment: "Ångström-sized portions"}}},
		} {
			if err := tx.CreateTable(ctx, tb); err != nil {
				return err
			}
		}
		return nil
	})
	type hit struct{ Kind, Database, Table, Column string }
	tests := []struct {
		name  string
		query string
		want  []hit // the first hits, in order
	}{
		{"name ranks above description", "orders", []hit{{"table", "sales", "orders", ""}, {"database", "sales", "", ""}}},
		{"column name", "email", []hit{{"column", "sales", "customers", "email_address"}}},
		{"column comment", "invoices", []hit{{"database", "sales", "", ""}, {"column", "sales", "customers", "email_address"}}},
		{"parameter value", "retail", []hit{{"database", "sales", "", ""}}},
		{"column parameter value", "confidential", []hit{{"column", "hr", "employees", "salary"}}},
		{"prefix", "employ*", []hit{{"table", "hr", "employees", ""}}},
		{"other scripts", "従業員", []hit{{"table", "hr", "employees", ""}}},
		{"accents ignored", "creme brulee", []hit{{"table", "hr", "canteen", ""}}},
		{"accents ignored in the query", "CAFÉ", []hit{{"table", "hr", "canteen", ""}}},
		{"accents ignored in a prefix", "bru*", []hit{{"table", "hr", "canteen", ""}}},
		{"accents ignored in a column", "angstrom", []hit{{"column", "hr", "canteen", "dish"}}},
		{"all words required", "payroll orders", nil},
		{"case and underscores", "EMAIL_Address", []hit{{"column", "sales", "customers", "email_address"}}},
		{"syntax is not interpreted", `" OR ' AND NOT col:x *`, nil},
		{"empty", "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []hit
			mustView(t, s, func(tx store.Tx) error {
				hs, err := tx.SearchCatalog(ctx, store.SearchQuery{Text: tt.query})
				for i, h := range hs {
					if h.Score <= 0 || h.Matched == "" {
						t.Errorf("hit %+v: want a positive score and matched text", h)
					}
					if i > 0 && h.Score > hs[i-1].Score {
						t.Errorf("hits out of order: %v", hs)
					}
					if i < len(tt.want) {
						got = append(got, hit{h.Kind, h.Database, h.Table, h.Column})
					}
				}
				return err
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
