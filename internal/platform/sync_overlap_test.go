package platform_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/platform"
)

// TestSyncReportsOverlappingLocations: a schema or table whose location
// overlaps a location another account holds, which the catalog refuses
// (EFORBIDDEN), is reported by the sync as the tables it refuses as
// invalid are, and stays out of the catalog and out of what grants reach
// on the platform, while the platform's other schemas and tables are
// imported, and a table gone from the platform dropped; where the whole
// sync failed. A caller who may not sync still fails, importing nothing.
func TestSyncReportsOverlappingLocations(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := kindEnv(t, kind)
			f, q, ctx := e.f, e.f.q, context.Background()
			second := e.schema + " b"
			if kind == "postgres" {
				f.exec(t, "CREATE SCHEMA "+q(second))
				t.Cleanup(func() { f.exec(t, "DROP SCHEMA IF EXISTS "+q(second)+" CASCADE") })
			} else {
				f.exec(t, "CREATE DATABASE "+q(second))
				t.Cleanup(func() { f.exec(t, "DROP DATABASE IF EXISTS "+q(second)) })
			}
			f.exec(t, "CREATE TABLE "+q(second, "x")+" (x int)")
			// The consumer holds the location the second schema would be imported at.
			base := kind + "://" + e.name + "/"
			in := &client.Database{Name: "c-second", LocationURI: base + second + "/", Parameters: map[string]string{"data_owner": e.consumerID}}
			if _, err := e.consumer.CreateDatabase(ctx, in); err != nil {
				t.Fatal(err)
			}
			reg := client.PlatformInput{Name: e.name, Kind: kind, DSN: f.dsn, AccountID: e.producer, Schemas: []string{e.schema, second}}
			if _, err := e.admin.RegisterPlatform(ctx, reg); err != nil {
				t.Fatalf("register: %v", err)
			}

			var ce *client.Error
			if _, err := e.consumer.SyncPlatform(ctx, e.name); !errors.As(err, &ce) || ce.Status != http.StatusForbidden {
				t.Errorf("sync by the consumer's admin: got %v, want 403", err)
			}
			if dbs, err := e.admin.ListDatabases(ctx, client.CatalogListOptions{}); err != nil || len(dbs.Databases) != 1 {
				t.Errorf("databases after the refused sync: got %+v (%v), want the consumer's only", dbs, err)
			}

			db, db2 := e.name+"-"+platform.CatalogName(e.schema), e.name+"-"+platform.CatalogName(second)
			orders, other := platform.CatalogName(e.table), platform.CatalogName(e.other)
			rep, err := e.admin.SyncPlatform(ctx, e.name)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if want := []string{"database " + db, "table " + db + "." + orders, "table " + db + "." + other}; !sameSet(rep.Added, want) {
				t.Errorf("added: got %q, want %q", rep.Added, want)
			}
			checkOverlaps(t, rep.Refused, e.consumerID, "database "+db2+": location_uri: ")
			if _, err := e.admin.GetDatabase(ctx, db2); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
				t.Errorf("the refused schema: got %v, want it not in the catalog", err)
			}

			// A mesh admin lets the consumer hold a location inside the
			// first schema's, where a table then appears on the platform;
			// another table goes.
			later := "Later"
			in = &client.Database{Name: "c-later", LocationURI: base + e.schema + "/" + later, Parameters: map[string]string{"data_owner": e.consumerID}}
			err = e.admin.Do(ctx, http.MethodPost, "/api/v1/catalog/databases", url.Values{"allow_location_overlap": {"true"}},
				map[string]any{"name": in.Name, "location_uri": in.LocationURI, "parameters": in.Parameters}, nil)
			if err != nil {
				t.Fatal(err)
			}
			f.exec(t, "CREATE TABLE "+q(e.schema, later)+" (x int)")
			f.exec(t, "DROP TABLE "+q(e.schema, e.other))
			rep, err = e.admin.SyncPlatform(ctx, e.name)
			if err != nil {
				t.Fatalf("re-sync: %v", err)
			}
			if len(rep.Added) != 0 || !slices.Equal(rep.Dropped, []string{"table " + db + "." + other}) {
				t.Errorf("re-sync: got %+v, want nothing added and the other table dropped", rep)
			}
			checkOverlaps(t, rep.Refused, e.consumerID, "database "+db2+": location_uri: ", "table "+db+"."+platform.CatalogName(later)+": location: ")
			if _, err := e.admin.GetTable(ctx, db, platform.CatalogName(later)); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
				t.Errorf("the refused table: got %v, want it not in the catalog", err)
			}
			audit, err := e.admin.ListAudit(ctx, client.AuditFilter{Action: "platform.sync"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 2 || !strings.Contains(audit.Entries[0].Detail+audit.Entries[1].Detail, "refused 2: ") {
				t.Errorf("audit of the syncs: got %+v (%v), want one naming the two refused", audit, err)
			}
			plan, err := e.admin.PlanPlatforms(ctx, client.PlanInput{Principal: e.consumerID + "/" + e.alice, Permissions: []string{"SELECT"},
				Resource: client.Resource{Database: db, Table: "*"}})
			if err != nil || len(plan) != 1 || !slices.ContainsFunc(plan[0].Statements, func(s string) bool { return strings.Contains(s, q(e.table)) }) {
				t.Fatalf("plan of a grant on the whole database: got %+v (%v), want one platform's, on orders", plan, err)
			}
			for _, s := range plan[0].Statements {
				if strings.Contains(s, q(later)) {
					t.Errorf("plan of a grant on the whole database: got %q, want no statement on the refused table", s)
				}
			}
		})
	}
}

// checkOverlaps checks that refused holds, in any order, one refusal
// starting with each of want, for a location of account owner's.
func checkOverlaps(t *testing.T, refused []string, owner string, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(refused))
	slices.Sort(want)
	if len(got) != len(want) {
		t.Errorf("refused: got %q, want %q…", got, want)
		return
	}
	for i, r := range got {
		if !strings.HasPrefix(r, want[i]) || !strings.Contains(r, "owned by account "+owner+"; a location may not overlap") {
			t.Errorf("refused: got %q, want %q… naming account %s", r, want[i], owner)
		}
	}
}
