package storetest

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("tx/read-memo", testReadMemo)
}

// testReadMemo: a transaction that reads an account, a database or a table
// again after changing it sees the change, whichever write made it (a
// savepoint's rollback included), and changing what a read returned changes
// nothing the next read returns.
func testReadMemo(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", "")); err != nil {
			return err
		}
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "sales", Parameters: map[string]string{mesh.ParamPIIFlag: "false"}}); err != nil {
			return err
		}
		return tx.CreateTables(ctx, "sales", []*mesh.Table{sampleTable("sales", "orders", false), sampleTable("sales", "refunds", false)})
	})
	account := func(tx store.Tx) string {
		t.Helper()
		a, err := tx.FindAccountByID(ctx, "111122223333")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return "gone"
		}
		if err != nil {
			t.Fatalf("find account: %v", err)
		}
		return a.Name
	}
	database := func(tx store.Tx) *mesh.Database {
		t.Helper()
		d, err := tx.FindDatabase(ctx, "sales")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil
		}
		if err != nil {
			t.Fatalf("find database: %v", err)
		}
		return d
	}
	table := func(tx store.Tx, name string) *mesh.Table {
		t.Helper()
		tb, err := tx.FindTable(ctx, "sales", name)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil
		}
		if err != nil {
			t.Fatalf("find table: %v", err)
		}
		return tb
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		// what a read returned is the caller's own
		d := database(tx)
		d.Parameters[mesh.ParamPIIFlag] = "true"
		d.Description = "changed in memory"
		if d := database(tx); d.Parameters[mesh.ParamPIIFlag] != "false" || d.Description != "" {
			t.Errorf("database after changing a read copy: %+v, want the stored one", d)
		}
		tb := table(tx, "orders")
		tb.Columns[0].Parameters = map[string]string{mesh.ParamPIIFlag: "true"}
		tb.Parameters[mesh.ParamPIIFlag] = "true"
		if tb := table(tx, "orders"); tb.PII() || tb.Columns[0].PII() {
			t.Errorf("table after changing a read copy: %+v, want the stored one", tb)
		}
		a, _ := tx.FindAccountByID(ctx, "111122223333")
		a.Name = "changed in memory"
		if got := account(tx); got != "Sales" {
			t.Errorf("account after changing a read copy: %q, want Sales", got)
		}

		// writes in the transaction show in its next read
		upd := identityAccount("111122223333", "Sales EU", "")
		if err := tx.UpdateAccount(ctx, upd); err != nil {
			return err
		}
		if got := account(tx); got != "Sales EU" {
			t.Errorf("account after UpdateAccount: %q, want Sales EU", got)
		}
		d = database(tx)
		d.Description = "the sales data product"
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return err
		}
		if got := database(tx); got.Description != "the sales data product" {
			t.Errorf("database after UpdateDatabase: description %q", got.Description)
		}
		tb = table(tx, "orders")
		tb.Description = "every order"
		if err := tx.UpdateTable(ctx, tb, tb.Version); err != nil {
			return err
		}
		if got := table(tx, "orders"); got.Description != "every order" {
			t.Errorf("table after UpdateTable: description %q", got.Description)
		}
		if err := tx.DeleteTable(ctx, "sales", "orders"); err != nil {
			return err
		}
		if got := table(tx, "orders"); got != nil {
			t.Errorf("table after DeleteTable: %+v, want none", got)
		}

		// a savepoint's rollback takes back what the reads since saw
		if err := tx.Savepoint(ctx, "memo"); err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, identityAccount("111122223333", "Sales APAC", "")); err != nil {
			return err
		}
		if got := account(tx); got != "Sales APAC" {
			t.Errorf("account inside the savepoint: %q, want Sales APAC", got)
		}
		if err := tx.RollbackToSavepoint(ctx, "memo"); err != nil {
			return err
		}
		if got := account(tx); got != "Sales EU" {
			t.Errorf("account after rolling back the savepoint: %q, want Sales EU", got)
		}

		// deleting the database takes its tables with it
		if table(tx, "refunds") == nil {
			t.Fatal("table refunds: missing before the database's delete")
		}
		if err := tx.DeleteDatabase(ctx, "sales"); err != nil {
			return err
		}
		if got := database(tx); got != nil {
			t.Errorf("database after DeleteDatabase: %+v, want none", got)
		}
		if got := table(tx, "refunds"); got != nil {
			t.Errorf("table refunds after its database's delete: %+v, want none", got)
		}
		if err := tx.DeleteAccount(ctx, "111122223333"); err != nil {
			return err
		}
		if got := account(tx); got != "gone" {
			t.Errorf("account after DeleteAccount: %q, want gone", got)
		}
		return nil
	})
}
