package platform_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/platform"
)

// TestSyncLeavesAnotherAccountsDatabase: when the catalog database a
// schema would be imported as is owned by another account, because it was
// there first under that name or because a mesh admin gave it away after
// a first sync, the sync (run by a mesh admin, whom the catalog never
// refuses) reports the schema as refused, naming the owner and what to
// do, and changes nothing in that database: no table is created, changed
// or dropped, its description stays, and it is not deleted when the
// schema goes from the platform. The schema gets no platform objects, so
// no grant on the database reaches the platform through this platform.
func TestSyncLeavesAnotherAccountsDatabase(t *testing.T) {
	cases := []struct {
		name string
		// take gives the database the schema would become to the consumer
		// and returns the tables it then holds.
		take func(t *testing.T, e *env, db string) []string
	}{
		{"existed first", func(t *testing.T, e *env, db string) []string {
			ctx := context.Background()
			in := &client.Database{Name: db, Description: "the consumer's", LocationURI: "s3://consumer-" + randomHex(4) + "/",
				Parameters: map[string]string{"data_owner": e.consumerID}}
			if _, err := e.consumer.CreateDatabase(ctx, in); err != nil {
				t.Fatal(err)
			}
			if err := e.consumer.CreateTables(ctx, db, []client.Table{{Name: "mine", Columns: []client.Column{{Name: "x", Type: "int"}}}}); err != nil {
				t.Fatal(err)
			}
			e.register(t)
			return []string{"mine"}
		}},
		{"given away", func(t *testing.T, e *env, db string) []string {
			ctx := context.Background()
			e.register(t)
			if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
				t.Fatalf("first sync: %v", err)
			}
			d, err := e.admin.GetDatabase(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			err = e.admin.Do(ctx, http.MethodPatch, "/api/v1/catalog/databases/"+db, nil,
				map[string]any{"parameters": map[string]string{"data_owner": e.consumerID}, "version": d.Version}, nil)
			if err != nil {
				t.Fatalf("give the database to the consumer: %v", err)
			}
			return []string{platform.CatalogName(e.table), platform.CatalogName(e.other)}
		}},
	}
	for _, kind := range []string{"postgres", "mariadb"} {
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				e := kindEnv(t, kind)
				f, q, ctx := e.f, e.f.q, context.Background()
				db := e.name + "-" + platform.CatalogName(e.schema)
				tables := c.take(t, e, db)
				before, err := e.admin.GetDatabase(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				// The platform changes: a table appears, one goes, and
				// on PostgreSQL the schema's comment changes.
				f.exec(t, "CREATE TABLE "+q(e.schema, "Later")+" (x int)")
				f.exec(t, "DROP TABLE "+q(e.schema, e.other))
				if kind == "postgres" {
					f.exec(t, "COMMENT ON SCHEMA "+q(e.schema)+" IS 'changed'")
				}
				rep, err := e.admin.SyncPlatform(ctx, e.name)
				if err != nil {
					t.Fatalf("sync: %v", err)
				}
				synced := c.name == "given away"
				checkLeft(t, e, rep, db, before, tables, true, synced)

				// The schema goes from the platform: the database stays.
				if kind == "postgres" {
					f.exec(t, "DROP SCHEMA "+q(e.schema)+" CASCADE")
				} else {
					f.exec(t, "DROP DATABASE "+q(e.schema))
				}
				rep, err = e.admin.SyncPlatform(ctx, e.name)
				if err != nil {
					t.Fatalf("sync after the schema went: %v", err)
				}
				// A database the platform never had is not its to report.
				checkLeft(t, e, rep, db, before, tables, synced, synced)
			})
		}
	}
}

// checkLeft checks that a sync's report did nothing but, if refused,
// refuse database db, naming the consumer as its owner and how to resolve
// it, and that db still holds what it held before, tables (named) and
// description, and is on the platform only if synced (a first sync put it
// there).
func checkLeft(t *testing.T, e *env, rep *client.SyncReport, db string, before *client.Database, tables []string, refused, synced bool) {
	t.Helper()
	ctx := context.Background()
	if len(rep.Added)+len(rep.Changed)+len(rep.Dropped)+len(rep.EndedGrants) != 0 {
		t.Errorf("sync: got %+v, want nothing added, changed or dropped", rep)
	}
	want := "database " + db + ": data_owner: is account " + e.consumerID + "'s, not the platform's account " + e.producer
	switch {
	case !refused && len(rep.Refused) != 0:
		t.Errorf("refused: got %q, want none", rep.Refused)
	case refused && (len(rep.Refused) != 1 || !strings.HasPrefix(rep.Refused[0], want) || !strings.Contains(rep.Refused[0], "a mesh admin")):
		t.Errorf("refused: got %q, want only %q… saying how to resolve it", rep.Refused, want)
	}
	d, err := e.admin.GetDatabase(ctx, db)
	if err != nil || d.Version != before.Version || d.Description != before.Description {
		t.Errorf("database %s after the sync: got %+v (%v), want it unchanged: %+v", db, d, err, before)
	}
	page, err := e.admin.ListTables(ctx, db, client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range page.Tables {
		got = append(got, tb.Name)
	}
	if !sameSet(got, tables) {
		t.Errorf("tables of %s after the sync: got %q, want %q", db, got, tables)
	}
	plan, err := e.admin.PlanPlatforms(ctx, client.PlanInput{Principal: e.consumerID + "/" + e.alice, Permissions: []string{"SELECT"},
		Resource: client.Resource{Database: db, Table: "*"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(plan) == 1; got != synced {
		t.Errorf("plan of a grant on %s: got %+v, want this platform's: %v", db, plan, synced)
	}
}

// TestSyncOfAnOffboardedAccountsPlatform: a platform whose account was
// offboarded (its products deleted, or handed to another account) fails
// to sync with 409, naming the account, and imports nothing, where the
// sync reported each of its schemas as refused, or wrote into the
// databases handed to the other account.
func TestSyncOfAnOffboardedAccountsPlatform(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		for _, transfer := range []bool{false, true} {
			t.Run(kind+map[bool]string{false: "/deleted", true: "/transferred"}[transfer], func(t *testing.T) {
				e := kindEnv(t, kind)
				f, q, ctx := e.f, e.f.q, context.Background()
				e.register(t)
				if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
					t.Fatalf("first sync: %v", err)
				}
				opts := client.OffboardOptions{Force: true}
				if transfer {
					opts.TransferTo = e.consumerID
				}
				if _, err := e.admin.OffboardAccount(ctx, e.producer, opts); err != nil {
					t.Fatalf("offboard: %v", err)
				}
				before, err := e.admin.ListDatabases(ctx, client.CatalogListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				f.exec(t, "DROP TABLE "+q(e.schema, e.other))
				rep, err := e.admin.SyncPlatform(ctx, e.name)
				var ce *client.Error
				if !errors.As(err, &ce) || ce.Status != http.StatusConflict || !strings.Contains(ce.Message, "account "+e.producer+" was offboarded") {
					t.Errorf("sync: got %+v (%v), want 409 naming offboarded account %s", rep, err, e.producer)
				}
				after, err := e.admin.ListDatabases(ctx, client.CatalogListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(after.Databases) != len(before.Databases) {
					t.Errorf("databases after the sync: got %d, want %d", len(after.Databases), len(before.Databases))
				}
				if transfer {
					if _, err := e.admin.GetTable(ctx, e.database(t), platform.CatalogName(e.other)); err != nil {
						t.Errorf("the transferred database's table gone from the platform: got %v, want it kept", err)
					}
				}
			})
		}
	}
}
