package catalog_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

const (
	producer = "111122223333"
	other    = "444455556666"
)

var (
	meshAdmin      = &mesh.Actor{Username: "root", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}
	centralMember  = &mesh.Actor{Username: "cm", AccountID: "central", CentralAccountID: "central", Roles: []string{mesh.RoleMember}}
	producerAdmin  = &mesh.Actor{Username: "pa", AccountID: producer, CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}
	producerMember = &mesh.Actor{Username: "pm", AccountID: producer, CentralAccountID: "central", Roles: []string{mesh.RoleMember, mesh.RoleApprover}}
	otherAdmin     = &mesh.Actor{Username: "oa", AccountID: other, CentralAccountID: "central", Roles: []string{mesh.RoleAdmin}}
)

func as(a *mesh.Actor) context.Context { return mesh.NewContext(context.Background(), a) }

// openStore returns a fresh store of kind in which the producer and the
// other account are onboarded.
func openStore(t *testing.T, kind string, clock mesh.Clock) store.Store {
	t.Helper()
	st := storetest.Open(t, kind, clock)
	storetest.CreateAccounts(t, st, producer, other)
	return st
}

// newService returns a service on a fresh SQLite store with database "sales"
// owned by the producer and holding table "orders".
func newService(t *testing.T) (*catalog.Service, store.Store) {
	t.Helper()
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st := openStore(t, "sqlite", clock)
	s := catalog.NewService(st, clock)
	if _, err := s.CreateDatabase(as(meshAdmin), salesDB()); err != nil {
		t.Fatalf("create sales: %v", err)
	}
	if _, err := s.CreateTable(as(meshAdmin), ordersTable()); err != nil {
		t.Fatalf("create orders: %v", err)
	}
	return s, st
}

func salesDB() *mesh.Database {
	return &mesh.Database{Name: "sales", Description: "Sales",
		Parameters: map[string]string{"data_owner": producer, "data_owner_name": "Sales", "pii_flag": "false"}}
}

func ordersTable() *mesh.Table {
	return &mesh.Table{DatabaseName: "sales", Name: "orders", Columns: []mesh.Column{
		{Name: "id", Type: "bigint"},
		{Name: "email", Type: "string", Parameters: map[string]string{"pii_flag": "true"}},
	}}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return mesh.ErrorCode(err)
}

// TestAuthorizeEdit is the matrix of who may change what.
func TestAuthorizeEdit(t *testing.T) {
	str := func(s string) *string { return &s }
	actions := []struct {
		name string
		do   func(ctx context.Context, s *catalog.Service) error
	}{
		{"create database owned by producer", func(ctx context.Context, s *catalog.Service) error {
			d := salesDB()
			d.Name = "sales2"
			_, err := s.CreateDatabase(ctx, d)
			return err
		}},
		{"create database without owner", func(ctx context.Context, s *catalog.Service) error {
			_, err := s.CreateDatabase(ctx, &mesh.Database{Name: "loose"})
			return err
		}},
		{"update database", func(ctx context.Context, s *catalog.Service) error {
			_, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Description: str("new")}, 1)
			return err
		}},
		{"give database to another account", func(ctx context.Context, s *catalog.Service) error {
			_, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Parameters: map[string]string{"data_owner": other}}, 1)
			return err
		}},
		{"delete database", func(ctx context.Context, s *catalog.Service) error {
			return s.DeleteDatabase(ctx, "sales", catalog.DeleteOptions{Force: true})
		}},
		{"create table", func(ctx context.Context, s *catalog.Service) error {
			tb := ordersTable()
			tb.Name = "returns"
			_, err := s.CreateTable(ctx, tb)
			return err
		}},
		{"update table", func(ctx context.Context, s *catalog.Service) error {
			_, err := s.UpdateTable(ctx, "sales", "orders", catalog.TableUpdate{Description: str("new")}, 1)
			return err
		}},
		{"delete table", func(ctx context.Context, s *catalog.Service) error {
			return s.DeleteTable(ctx, "sales", "orders")
		}},
		{"read", func(ctx context.Context, s *catalog.Service) error {
			if _, err := s.FindDatabase(ctx, "sales"); err != nil {
				return err
			}
			_, err := s.FindTable(ctx, "sales", "orders")
			return err
		}},
	}
	F, U := mesh.EFORBIDDEN, mesh.EUNAUTHORIZED
	actors := []struct {
		name  string
		actor *mesh.Actor
		want  []string // per action, "" for allowed
	}{
		{"mesh admin", meshAdmin, []string{"", "", "", "", "", "", "", "", ""}},
		{"producer admin", producerAdmin, []string{"", F, "", F, "", "", "", "", ""}},
		{"producer member", producerMember, []string{F, F, F, F, F, F, F, F, ""}},
		{"central member", centralMember, []string{F, F, F, F, F, F, F, F, ""}},
		{"other account's admin", otherAdmin, []string{F, F, F, F, F, F, F, F, ""}},
		{"anonymous", nil, []string{U, U, U, U, U, U, U, U, U}},
	}
	for _, a := range actors {
		for i, act := range actions {
			t.Run(a.name+"/"+act.name, func(t *testing.T) {
				s, _ := newService(t)
				err := act.do(as(a.actor), s)
				if got := code(err); got != a.want[i] {
					t.Errorf("got %q (%v), want %q", got, err, a.want[i])
				}
			})
		}
	}
}

func TestUpdateVersionConflict(t *testing.T) {
	s, st := newService(t)
	ctx := as(producerAdmin)
	desc := "first"
	d, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Description: &desc}, 1)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if d.Version != 2 || d.Description != "first" || d.DataOwner() != producer {
		t.Errorf("got %+v, want version 2, description first, owner kept", d)
	}
	stale := "stale"
	_, err = s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Description: &stale}, 1)
	var me *mesh.Error
	if !errors.As(err, &me) || me.Code != mesh.ECONFLICT {
		t.Fatalf("stale update: got %v, want conflict", err)
	}
	if got := me.Details.(map[string]int64)["current_version"]; got != 2 {
		t.Errorf("conflict details: got current version %d, want 2", got)
	}
	got, _ := s.FindDatabase(ctx, "sales")
	if got.Description != "first" || got.Version != 2 {
		t.Errorf("after stale update: got %q v%d, want first v2", got.Description, got.Version)
	}
	if _, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{}, 0); code(err) != mesh.EINVALID {
		t.Errorf("no version: got %v, want invalid", err)
	}
	_, err = s.UpdateTable(ctx, "sales", "orders", catalog.TableUpdate{Columns: []mesh.Column{{Name: "id", Type: "int"}}}, 7)
	if code(err) != mesh.ECONFLICT {
		t.Errorf("stale table update: got %v, want conflict", err)
	}
	// Only the successful update and the setup were audited.
	var actions []string
	st.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{})
		for _, e := range es {
			actions = append(actions, e.Action+" "+e.Resource+" "+e.Principal)
		}
		return err
	})
	want := []string{
		"catalog.update-database database/sales 111122223333/pa",
		"catalog.create-table table/sales/orders central/root",
		"catalog.create-database database/sales central/root",
	}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("audit: got %v, want %v", actions, want)
	}
}

func TestValidationNamesField(t *testing.T) {
	s, _ := newService(t)
	ctx := as(meshAdmin)
	long := string(make([]byte, mesh.MaxDescriptionLen+1))
	tests := []struct {
		name  string
		table *mesh.Table
		want  string
	}{
		{"bad name", &mesh.Table{Name: "Orders!"}, "name"},
		{"long description", &mesh.Table{Name: "t", Description: long}, "description"},
		{"column name", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int"}, {Name: "", Type: "int"}}}, "columns[1].name"},
		{"column type", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int"}, {Name: "b"}}}, "columns[1].type"},
		{"duplicate column", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int"}, {Name: "b", Type: "int"}, {Name: "a", Type: "int"}}}, "columns[2].name"},
		{"partition key repeats a column", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "dt", Type: "int"}}, PartitionKeys: []mesh.Column{{Name: "dt", Type: "string"}}}, "partition_keys[0].name"},
		{"column parameter key", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int", Parameters: map[string]string{"": "x"}}}}, "columns[0].parameters"},
		{"data_owner not an account", &mesh.Table{Name: "t", Parameters: map[string]string{"data_owner": "Not An Account"}}, "parameters.data_owner"},
		{"other database", &mesh.Table{DatabaseName: "hr", Name: "t"}, "database_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.table.DatabaseName == "" {
				tt.table.DatabaseName = "sales"
			}
			_, err := s.CreateTables(ctx, "sales", []*mesh.Table{tt.table})
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != tt.want {
				t.Errorf("got %v, want invalid naming %q", err, tt.want)
			}
		})
	}
	_, err := s.CreateTables(ctx, "sales", []*mesh.Table{{Name: "ok"}, {Name: "x", Columns: []mesh.Column{{Name: "c"}}}})
	var me *mesh.Error
	if !errors.As(err, &me) || me.Field != "tables[1].columns[0].type" {
		t.Errorf("batch: got %v, want invalid naming tables[1].columns[0].type", err)
	}
	_, err = s.CreateTables(ctx, "sales", []*mesh.Table{{Name: "x"}, {Name: "y"}, {Name: "x"}})
	if !errors.As(err, &me) || me.Field != "tables[2].name" {
		t.Errorf("a name twice in a batch: got %v, want invalid naming tables[2].name", err)
	}
	if _, err := s.FindTable(ctx, "sales", "ok"); code(err) != mesh.ENOTFOUND {
		t.Errorf("a rejected batch created a table: got %v, want not found", err)
	}
	_, err = s.CreateDatabase(ctx, &mesh.Database{Name: "d", Parameters: map[string]string{"k": string(make([]byte, mesh.MaxParamValueLen+1))}})
	if !errors.As(err, &me) || me.Field != "parameters.k" {
		t.Errorf("long parameter: got %v, want invalid naming parameters.k", err)
	}
}

func TestDeleteHooksAndForce(t *testing.T) {
	s, _ := newService(t)
	var calls []string
	s.OnDelete(func(ctx context.Context, tx store.Tx, database, table string) error {
		calls = append(calls, database+"/"+table)
		if table == "refuse" {
			return mesh.Errorf(mesh.ECONFLICT, "grants refer to it")
		}
		return nil
	})
	ctx := as(producerAdmin)
	err := s.DeleteDatabase(ctx, "sales", catalog.DeleteOptions{})
	var me *mesh.Error
	if !errors.As(err, &me) || me.Code != mesh.ECONFLICT || me.Details.(map[string]int)["tables"] != 1 {
		t.Fatalf("delete with tables: got %v, want conflict with 1 table", err)
	}
	if len(calls) != 0 {
		t.Errorf("hooks ran for a refused delete: %v", calls)
	}
	// A hook's error rolls the deletion back.
	if _, err := s.CreateTable(ctx, &mesh.Table{DatabaseName: "sales", Name: "refuse"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTable(ctx, "sales", "refuse"); code(err) != mesh.ECONFLICT {
		t.Errorf("hook refusal: got %v, want conflict", err)
	}
	if _, err := s.FindTable(ctx, "sales", "refuse"); err != nil {
		t.Errorf("table gone after the hook refused: %v", err)
	}
	calls = nil
	if err := s.DeleteTable(ctx, "sales", "missing"); code(err) != mesh.ENOTFOUND {
		t.Errorf("delete missing: got %v, want not found", err)
	}
	if err := s.DeleteTable(ctx, "sales", "orders"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"sales/orders"}; !slices.Equal(calls, want) {
		t.Errorf("hooks: got %v, want %v", calls, want)
	}
	calls = nil
	// With force the tables' hooks run first; one refusing keeps everything.
	if err := s.DeleteDatabase(ctx, "sales", catalog.DeleteOptions{Force: true}); code(err) != mesh.ECONFLICT {
		t.Errorf("forced delete with a refusing hook: got %v, want conflict", err)
	}
	if want := []string{"sales/refuse"}; !slices.Equal(calls, want) {
		t.Errorf("hooks: got %v, want %v", calls, want)
	}
	if _, err := s.FindDatabase(ctx, "sales"); err != nil {
		t.Errorf("database gone after a refused forced delete: %v", err)
	}
}

func TestDeleteDatabaseForce(t *testing.T) {
	s, _ := newService(t)
	var calls []string
	s.OnDelete(func(ctx context.Context, tx store.Tx, database, table string) error {
		calls = append(calls, database+"/"+table)
		return nil
	})
	if err := s.DeleteDatabase(as(producerAdmin), "sales", catalog.DeleteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"sales/orders", "sales/"}; !slices.Equal(calls, want) {
		t.Errorf("hooks: got %v, want %v", calls, want)
	}
	if _, err := s.FindTable(as(producerAdmin), "sales", "orders"); code(err) != mesh.ENOTFOUND {
		t.Errorf("table after forced delete: got %v, want not found", err)
	}
}

func TestHasPII(t *testing.T) {
	s, _ := newService(t)
	ctx := as(producerMember)
	admin := as(meshAdmin)
	if _, err := s.CreateTable(admin, &mesh.Table{DatabaseName: "sales", Name: "plain", Columns: []mesh.Column{{Name: "a", Type: "int"}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		database, table string
		want            bool
	}{
		{"sales", "*", true},      // the database is not flagged, a column of orders is
		{"sales", "", true},       // the same
		{"sales", "orders", true}, // a column
		{"sales", "plain", false},
	}
	for _, tt := range tests {
		got, err := s.HasPII(ctx, tt.database, tt.table)
		if err != nil || got != tt.want {
			t.Errorf("HasPII(%s, %q): got %v, %v; want %v", tt.database, tt.table, got, err, tt.want)
		}
	}
	if err := s.DeleteTable(admin, "sales", "orders"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.HasPII(ctx, "sales", "*"); err != nil || got {
		t.Errorf("HasPII after the PII table went: got %v, %v; want false", got, err)
	}
	pii := map[string]string{"data_owner": producer, "pii_flag": "True"}
	if _, err := s.UpdateDatabase(admin, "sales", catalog.DatabaseUpdate{Parameters: pii}, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.HasPII(ctx, "sales", "plain"); !got {
		t.Errorf("HasPII of a table in a flagged database: got false, want true")
	}
	if _, err := s.HasPII(ctx, "nope", "*"); code(err) != mesh.ENOTFOUND {
		t.Errorf("missing database: got %v, want not found", err)
	}
}

func TestLookups(t *testing.T) {
	s, st := newService(t)
	if _, err := s.CreateDatabase(as(meshAdmin), &mesh.Database{Name: "loose"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := st.View(ctx, func(tx store.Tx) error {
		owner, err := s.DatabaseOwner(ctx, tx, "sales")
		if err != nil || owner != producer {
			t.Errorf("DatabaseOwner: got %q, %v; want %s", owner, err, producer)
		}
		if _, err := s.DatabaseOwner(ctx, tx, "nope"); code(err) != mesh.ENOTFOUND {
			t.Errorf("DatabaseOwner(nope): got %v, want not found", err)
		}
		cols, err := s.TableColumns(ctx, tx, "sales", "orders")
		if err != nil || !slices.Equal(cols, []string{"id", "email"}) {
			t.Errorf("TableColumns: got %v, %v; want [id email]", cols, err)
		}
		tables, err := s.Tables(ctx, tx, "sales")
		if err != nil || !slices.Equal(tables, []string{"orders"}) {
			t.Errorf("Tables: got %v, %v; want [orders]", tables, err)
		}
		owners, err := s.Owners(ctx, tx)
		if want := map[string]string{"sales": producer, "loose": ""}; err != nil || !reflect.DeepEqual(owners, want) {
			t.Errorf("Owners: got %v, %v; want %v", owners, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPIIFlagIsTrueOrFalse checks that pii_flag, wherever it is set
// (database, table, column, partition key), is true or false in any case
// with surrounding spaces, the values the workflow reads, and that another
// value, or the key spelled another way, is refused naming the field and
// changes nothing: "yes" or "1" would be stored and read as not flagged, and
// the data shared without its owner's approval.
func TestPIIFlagIsTrueOrFalse(t *testing.T) {
	s, _ := newService(t)
	ctx := as(producerAdmin)
	flagged := func(v string) map[string]string { return map[string]string{"pii_flag": v} }
	owned := func(k, v string) map[string]string { return map[string]string{"data_owner": producer, k: v} }
	for _, v := range []string{"true", "false", "TRUE", " True ", "False"} {
		if _, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Parameters: owned("pii_flag", v)}, mustDatabase(t, s).Version); err != nil {
			t.Errorf("database pii_flag %q: got %v, want accepted", v, err)
		}
	}
	before := mustDatabase(t, s)
	badDatabase := []struct {
		params map[string]string
		field  string
	}{
		{owned("pii_flag", "yes"), "parameters.pii_flag"},
		{owned("pii_flag", "1"), "parameters.pii_flag"},
		{owned("pii_flag", ""), "parameters.pii_flag"},
		{owned("pii_flag", "true-ish"), "parameters.pii_flag"},
		{owned("PII_FLAG", "true"), "parameters"},
		{owned(" pii_flag", "true"), "parameters"},
	}
	for _, tt := range badDatabase {
		_, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Parameters: tt.params}, before.Version)
		var me *mesh.Error
		if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != tt.field {
			t.Errorf("database parameters %q: got %v, want invalid naming %s", tt.params, err, tt.field)
		}
		d := tt.params
		if _, err := s.CreateDatabase(as(meshAdmin), &mesh.Database{Name: "hr", Parameters: d}); code(err) != mesh.EINVALID {
			t.Errorf("create database with %q: got %v, want invalid", d, err)
		}
	}
	if got := mustDatabase(t, s); got.Version != before.Version || !reflect.DeepEqual(got.Parameters, before.Parameters) {
		t.Errorf("refused updates changed the database: got %+v, want %+v", got, before)
	}
	if _, err := s.FindDatabase(ctx, "hr"); code(err) != mesh.ENOTFOUND {
		t.Errorf("a refused create made the database: got %v, want not found", err)
	}

	badTables := []struct {
		name  string
		table *mesh.Table
		field string
	}{
		{"table", &mesh.Table{Name: "t", Parameters: flagged("yes")}, "parameters.pii_flag"},
		{"column", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int"}, {Name: "b", Type: "string", Parameters: flagged("1")}}}, "columns[1].parameters.pii_flag"},
		{"partition key", &mesh.Table{Name: "t", PartitionKeys: []mesh.Column{{Name: "dt", Type: "date", Parameters: flagged("Y")}}}, "partition_keys[0].parameters.pii_flag"},
		{"column key spelled otherwise", &mesh.Table{Name: "t", Columns: []mesh.Column{{Name: "a", Type: "int", Parameters: map[string]string{"Pii_Flag": "true"}}}}, "columns[0].parameters"},
	}
	for _, tt := range badTables {
		t.Run(tt.name, func(t *testing.T) {
			tt.table.DatabaseName = "sales"
			_, err := s.CreateTable(ctx, tt.table)
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != tt.field {
				t.Errorf("create: got %v, want invalid naming %s", err, tt.field)
			}
			cur, err := s.FindTable(ctx, "sales", "orders")
			if err != nil {
				t.Fatal(err)
			}
			upd := catalog.TableReplace(tt.table)
			_, err = s.UpdateTable(ctx, "sales", "orders", upd, cur.Version)
			if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != tt.field {
				t.Errorf("update: got %v, want invalid naming %s", err, tt.field)
			}
			if got, _ := s.FindTable(ctx, "sales", "orders"); got.Version != cur.Version {
				t.Errorf("a refused update changed the table: got version %d, want %d", got.Version, cur.Version)
			}
		})
	}
	ok := &mesh.Table{DatabaseName: "sales", Name: "ok", Parameters: flagged("FALSE"),
		Columns:       []mesh.Column{{Name: "a", Type: "int", Parameters: flagged(" true ")}},
		PartitionKeys: []mesh.Column{{Name: "dt", Type: "date", Parameters: flagged("False")}}}
	if _, err := s.CreateTable(ctx, ok); err != nil {
		t.Errorf("create with true and false in any case: got %v, want created", err)
	}
}

func mustDatabase(t *testing.T, s *catalog.Service) *mesh.Database {
	t.Helper()
	d, err := s.FindDatabase(as(meshAdmin), "sales")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestOwnerChangeAuditNamesBothOwners: the audit entry of a change of a
// database's data_owner names the owner it had as well as the new one, as
// an offboarding's hand-over does, so that who owned a product is in the
// log even once its creation has aged out of it; an update that keeps the
// owner says nothing of a change.
func TestOwnerChangeAuditNamesBothOwners(t *testing.T) {
	s, st := newService(t)
	ctx := as(meshAdmin)
	desc := "kept owner"
	if _, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Description: &desc}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Parameters: map[string]string{"data_owner": other}}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateDatabase(ctx, "sales", catalog.DatabaseUpdate{Parameters: map[string]string{}}, 3); err != nil {
		t.Fatal(err)
	}
	var details []string
	st.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{Action: "catalog.update-database"})
		for _, e := range es {
			details = append(details, e.Detail)
		}
		return err
	})
	want := []string{ // newest first
		`version 4; data_owner="" pii_flag=""; data_owner changed from account 444455556666 to none`,
		`version 3; data_owner="444455556666" pii_flag=""; data_owner changed from account 111122223333 to account 444455556666`,
		`version 2; data_owner="111122223333" pii_flag="false"`,
	}
	if !reflect.DeepEqual(details, want) {
		t.Errorf("audit details:\ngot  %q\nwant %q", details, want)
	}
}

// TestOwnerChangeRefusalSaysWhy: a producer's admin whose update would give
// its database to another account, or leave it without data_owner (as a
// Glue UpdateDatabase input without Parameters does, which replaces them
// all), is refused with 403 naming parameters.data_owner and saying what
// the update would do, where the refusal said that only mesh admins may
// change resources without a data_owner, of a database that has one, or
// called the other account "the data_owner".
func TestOwnerChangeRefusalSaysWhy(t *testing.T) {
	s, _ := newService(t)
	ctx := as(producerAdmin)
	desc := "new"
	tests := []struct {
		name string
		upd  catalog.DatabaseUpdate
		want string
	}{
		{"owner left out", catalog.DatabaseReplace(&mesh.Database{Name: "sales", Description: desc}),
			"the update leaves out data_owner, which would take database sales from account 111122223333: only mesh admins may leave a database without one (Glue's UpdateDatabase replaces all the parameters: send data_owner with them)"},
		{"given away", catalog.DatabaseUpdate{Parameters: map[string]string{"data_owner": other}},
			"the update gives database sales to account 444455556666: only mesh admins and admins of account 444455556666 may give it a database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.UpdateDatabase(ctx, "sales", tt.upd, 1)
			var me *mesh.Error
			if !errors.As(err, &me) || me.Code != mesh.EFORBIDDEN || me.Field != "parameters.data_owner" || me.Message != tt.want {
				t.Errorf("got %#v, want forbidden naming parameters.data_owner: %s", err, tt.want)
			}
		})
	}
	if got := mustDatabase(t, s); got.Version != 1 || got.DataOwner() != producer {
		t.Errorf("a refused owner change changed the database: got %+v", got)
	}
}

// TestDatabaseOfUnknownOwnerKeepsWorking: a database whose data_owner names
// an account the mesh does not have, as the catalog accepted before it
// checked the owner, keeps taking the writes that leave its owner (a
// description, Glue's whole-definition update naming the same owner, a
// table), and may be given to an onboarded account; only naming such an
// account anew is refused.
func TestDatabaseOfUnknownOwnerKeepsWorking(t *testing.T) {
	s, st := newService(t)
	const ghost = "999900001111"
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.CreateDatabase(context.Background(), &mesh.Database{Name: "legacy", Parameters: map[string]string{mesh.ParamDataOwner: ghost}})
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := as(meshAdmin)
	desc := "kept"
	steps := []struct {
		name string
		run  func() error
	}{
		{"update its description", func() error {
			_, err := s.UpdateDatabase(ctx, "legacy", catalog.DatabaseUpdate{Description: &desc}, 1)
			return err
		}},
		{"replace it naming the same owner", func() error {
			_, err := s.UpdateDatabase(ctx, "legacy", catalog.DatabaseReplace(&mesh.Database{Name: "legacy",
				Parameters: map[string]string{mesh.ParamDataOwner: ghost, mesh.ParamPIIFlag: "true"}}), 2)
			return err
		}},
		{"create a table", func() error {
			_, err := s.CreateTable(ctx, &mesh.Table{DatabaseName: "legacy", Name: "t"})
			return err
		}},
		{"give it to an onboarded account", func() error {
			_, err := s.UpdateDatabase(ctx, "legacy", catalog.DatabaseUpdate{Parameters: map[string]string{mesh.ParamDataOwner: producer}}, 3)
			return err
		}},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			t.Errorf("%s: got %v, want it done", step.name, err)
		}
	}
	_, err = s.CreateDatabase(ctx, &mesh.Database{Name: "ghost", Parameters: map[string]string{mesh.ParamDataOwner: ghost}})
	var me *mesh.Error
	if !errors.As(err, &me) || me.Code != mesh.EINVALID || me.Field != "parameters.data_owner" || !strings.Contains(me.Message, ghost) {
		t.Errorf("a new database of the unknown account: got %v, want invalid naming parameters.data_owner and %s", err, ghost)
	}
}

// TestAbortedCatalogWriteRunsAgain: a catalog write whose transaction the
// store aborted to break a deadlock (an owner change meeting a revocation
// on PostgreSQL) runs again, where it answered the caller with the
// store's error: creating and updating a database, creating and updating
// a table, each once, with one audit entry each.
func TestAbortedCatalogWriteRunsAgain(t *testing.T) {
	clock := mesh.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	aborting := &storetest.Aborting{Store: openStore(t, "sqlite", clock)}
	s := catalog.NewService(aborting, clock)
	steps := []struct {
		name string
		run  func() error
	}{
		{"create database", func() error { _, err := s.CreateDatabase(as(meshAdmin), salesDB()); return err }},
		{"create table", func() error { _, err := s.CreateTable(as(meshAdmin), ordersTable()); return err }},
		{"update database", func() error {
			desc := "Sales, again"
			_, err := s.UpdateDatabase(as(producerAdmin), "sales", catalog.DatabaseUpdate{Description: &desc}, 1)
			return err
		}},
		{"update table", func() error {
			desc := "orders, again"
			_, err := s.UpdateTable(as(producerAdmin), "sales", "orders", catalog.TableUpdate{Description: &desc}, 1)
			return err
		}},
	}
	for _, step := range steps {
		aborting.Aborts = 1
		if err := step.run(); err != nil {
			t.Errorf("%s, its first commit aborted: %v", step.name, err)
		}
	}
	var actions []string
	if err := aborting.View(context.Background(), func(tx store.Tx) error {
		entries, err := tx.FindAuditEntries(context.Background(), store.AuditFilter{})
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(actions)
	if want := []string{"catalog.create-database", "catalog.create-table", "catalog.update-database", "catalog.update-table"}; !slices.Equal(actions, want) {
		t.Errorf("audit entries: got %q, want one of each of %q", actions, want)
	}
}
