package platform_test

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestPlatformDatabaseWideGrantAndOffboarding checks that a grant on all
// tables reaches a table that appears later, at the next sync, and that
// offboarding the consumer account takes every privilege away.
func TestPlatformDatabaseWideGrantAndOffboarding(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		for _, storeKind := range storetest.Kinds() {
			t.Run(kind+"/"+storeKind, func(t *testing.T) {
				f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
				testLifecycle(t, newEnv(t, storeKind, f))
			})
		}
	}
}

func testLifecycle(t testing.TB, e *env) {
	ctx := context.Background()
	q := e.f.q
	e.register(t)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	dbs, err := e.admin.ListDatabases(ctx, client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var db string
	for _, d := range dbs.Databases {
		if len(d.Name) > len(e.name) && d.Name[:len(e.name)+1] == e.name+"-" {
			db = d.Name
		}
	}
	all := client.Resource{Database: db, Table: "*"}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: all, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: all, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	if err := e.f.queryAs(t, e.role(), "SELECT * FROM "+q(e.schema, e.other)); err != nil {
		t.Fatalf("alice reads a table through the all-tables grant: %v", err)
	}
	later := "Later Table"
	e.f.exec(t, "CREATE TABLE "+q(e.schema, later)+" (y int)")
	if err := e.f.queryAs(t, e.role(), "SELECT * FROM "+q(e.schema, later)); !denied(err) {
		t.Fatalf("a table before the sync: got %v, want it refused", err)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	if err := e.f.queryAs(t, e.role(), "SELECT * FROM "+q(e.schema, later)); err != nil {
		t.Errorf("a table that appeared later, after the sync: %v", err)
	}
	if _, err := e.admin.OffboardAccount(ctx, e.consumerID, client.OffboardOptions{Force: true}); err != nil {
		t.Fatalf("offboard: %v", err)
	}
	e.waitApplied(t)
	for _, table := range []string{e.other, later} {
		if err := e.f.queryAs(t, e.role(), "SELECT * FROM "+q(e.schema, table)); !denied(err) {
			t.Errorf("%s after offboarding: got %v, want it refused", table, err)
		}
	}

	// The schema itself goes: the next sync drops its database, saying so.
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.producer, Resource: all, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	if e.f.kind == "postgres" {
		e.f.exec(t, "DROP SCHEMA "+q(e.schema)+" CASCADE")
	} else {
		e.f.exec(t, "DROP DATABASE "+q(e.schema))
	}
	rep, err := e.admin.SyncPlatform(ctx, e.name)
	if err != nil || len(rep.Dropped) != 1 || rep.Dropped[0] != "database "+db || len(rep.EndedGrants) != 1 {
		t.Errorf("sync after the schema went: got %+v (%v), want database %s dropped with its grant", rep, err, db)
	}
	if _, err := e.admin.GetDatabase(ctx, db); err == nil {
		t.Errorf("database %s is still in the catalog", db)
	}
}
