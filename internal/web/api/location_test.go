package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestLocationShadowing: a database or table may not take a storage
// location equal to, inside or containing another owner's (engines that
// map data by location would take it for that owner's data); a sibling
// prefix is another location; a mesh admin may allow an overlap, audited.
func TestLocationShadowing(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind) // Sales: sales at s3://sales-data/, sales.orders at s3://sales-data/orders/
			post := func(c *client.Client, path string, q url.Values, body string) error {
				return c.Do(ctx, http.MethodPost, path, q, json.RawMessage(body), nil)
			}
			mktDB := func(name, loc string) string {
				return `{"name": "` + name + `", "location_uri": "` + loc + `", "parameters": {"data_owner": "` + marketingID + `"}}`
			}
			allow := url.Values{"allow_location_overlap": {"true"}}
			steps := []struct {
				name   string
				do     func() error
				status int // 0 for success
			}{
				{"database at the same location", func() error { return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("m1", "s3://sales-data/")) }, 403},
				{"database at the same location without the slash", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("m1", "s3://sales-data"))
				}, 403},
				{"database at another case of the bucket and scheme", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("m1", "S3A://Sales-Data/"))
				}, 403},
				{"database inside a table's location", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("m1", "s3://sales-data/orders/2026/"))
				}, 403},
				{"database containing the locations", func() error { return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("m1", "s3://")) }, 403},
				{"database at a sibling prefix", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("mkt2", "s3://sales-data-2/"))
				}, 0},
				{"database of its own", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", nil, mktDB("mkt", "s3://marketing-data/"))
				}, 0},
				{"table inside another owner's table", func() error {
					return post(m.mkt, "/api/v1/catalog/databases/mkt/tables", nil, `{"name": "t1", "location": "s3://sales-data/orders/x/"}`)
				}, 403},
				{"table equal to another owner's database", func() error {
					return post(m.mkt, "/api/v1/catalog/databases/mkt/tables", nil, `{"name": "t1", "location": "s3://sales-data"}`)
				}, 403},
				{"table in a batch", func() error {
					return post(m.mkt, "/api/v1/catalog/databases/mkt/tables:batch", nil,
						`{"tables": [{"name": "ok", "location": "s3://marketing-data/ok/"}, {"name": "t1", "location": "s3://sales-data/orders/"}]}`)
				}, 403},
				{"table at a sibling prefix of a table", func() error {
					return post(m.mkt, "/api/v1/catalog/databases/mkt/tables", nil, `{"name": "t2", "location": "s3://sales-data/orders-eu/"}`)
				}, 403}, // still inside the sales database's s3://sales-data/
				{"table of its own", func() error {
					return post(m.mkt, "/api/v1/catalog/databases/mkt/tables", nil, `{"name": "t3", "location": "s3://marketing-data/t3/"}`)
				}, 0},
				{"moving a database onto another owner's", func() error {
					return m.mkt.Do(ctx, http.MethodPatch, "/api/v1/catalog/databases/mkt", nil, json.RawMessage(`{"location_uri": "s3://sales-data/", "version": 1}`), nil)
				}, 403},
				{"moving a table onto another owner's", func() error {
					return m.mkt.Do(ctx, http.MethodPatch, "/api/v1/catalog/databases/mkt/tables/t3", nil, json.RawMessage(`{"location": "s3://sales-data/t3/", "version": 1}`), nil)
				}, 403},
				{"an account admin allowing it", func() error {
					return post(m.mkt, "/api/v1/catalog/databases", allow, mktDB("m1", "s3://sales-data/"))
				}, 403},
				{"a mesh admin without allowing it", func() error {
					return post(m.admin, "/api/v1/catalog/databases", nil, mktDB("m1", "s3://sales-data/orders/"))
				}, 403},
				{"a mesh admin allowing it", func() error {
					return post(m.admin, "/api/v1/catalog/databases", allow, mktDB("m1", "s3://sales-data/orders/"))
				}, 0},
				{"the owner inside its own location", func() error {
					return post(m.sales, "/api/v1/catalog/databases", nil, `{"name": "archive", "location_uri": "s3://sales-data/archive/", "parameters": {"data_owner": "`+salesID+`"}}`)
				}, 0},
			}
			for _, s := range steps {
				err := s.do()
				if s.status == 0 {
					if err != nil {
						t.Errorf("%s: got %v, want success", s.name, err)
					}
					continue
				}
				e, ok := err.(*client.Error)
				if !ok || e.Status != s.status {
					t.Errorf("%s: got %v, want status %d", s.name, err, s.status)
					continue
				}
				if s.status == 403 && !strings.Contains(e.Message, salesID) && !strings.Contains(e.Message, "mesh admins") {
					t.Errorf("%s: got %q, want it to name the owner %s", s.name, e.Message, salesID)
				}
			}
			audit, err := m.admin.ListAudit(ctx, client.AuditFilter{Action: "catalog.create-database", Resource: "database/m1"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 1 || !strings.Contains(audit.Entries[0].Detail, "allowed by a mesh admin") {
				t.Errorf("got %+v (%v), want the allowed overlap audited", audit, err)
			}
			if d := m.allowed(t, marketingID, "ALTER", client.Resource{Database: "sales"}); d.Allowed {
				t.Errorf("got %+v, want Marketing no owner of sales", d)
			}
		})
	}
}

// TestOwnerChangeChecksTableLocations: a change of a database's data_owner
// hands its tables to the new owner, so their locations may then not
// overlap another owner's data (the old owner's other databases included),
// as any location: refused (403 naming the table and that owner) unless a
// mesh admin allows it, audited.
func TestOwnerChangeChecksTableLocations(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind) // Sales: sales at s3://sales-data/
			// Sales' own staging database, with a table inside Sales' s3://sales-data/ (the same owner: fine).
			if _, err := m.sales.CreateDatabaseGlue(ctx, []byte(`{"Name": "staging", "Parameters": {"data_owner": "`+salesID+`"}}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.sales.CreateTableGlue(ctx, "staging", []byte(`{"Name": "t", "StorageDescriptor": {"Location": "s3://sales-data/staging/t/", "Columns": [{"Name": "id", "Type": "bigint"}]}}`)); err != nil {
				t.Fatal(err)
			}
			patch := func(q url.Values) error {
				return m.admin.Do(ctx, http.MethodPatch, "/api/v1/catalog/databases/staging", q,
					map[string]any{"parameters": map[string]string{"data_owner": marketingID}, "version": 1}, nil)
			}
			e := wantHTTPError(t, "giving staging to Marketing", patch(nil), http.StatusForbidden)
			if e.Field != "parameters.data_owner" || !strings.Contains(e.Message, "staging.t") || !strings.Contains(e.Message, salesID) {
				t.Errorf("got field %q %q, want parameters.data_owner, naming the table staging.t and Sales (%s)", e.Field, e.Message, salesID)
			}
			if d := m.allowed(t, marketingID, "ALTER", client.Resource{Database: "staging"}); d.Allowed {
				t.Errorf("a refused change of owner: got %+v, want Marketing no owner of staging", d)
			}
			if err := patch(url.Values{"allow_location_overlap": {"true"}}); err != nil {
				t.Fatalf("a mesh admin allowing it: got %v, want the owner changed", err)
			}
			audit, err := m.admin.ListAudit(ctx, client.AuditFilter{Action: "catalog.update-database", Resource: "database/staging"}, client.ListOptions{})
			if err != nil || len(audit.Entries) != 1 || !strings.Contains(audit.Entries[0].Detail, "t: location s3://sales-data/staging/t/") ||
				!strings.Contains(audit.Entries[0].Detail, "allowed by a mesh admin") {
				t.Errorf("got %+v (%v), want the allowed overlap of table t audited", audit, err)
			}
		})
	}
}

// TestLegacyLocationOverlap: a database and a table of Marketing that were
// stored, before the catalog checked locations, inside Sales'
// s3://sales-data/ take updates that keep their locations (a description,
// Glue's UpdateDatabase and UpdateTable sending them back); a location an
// update sets there is refused, as always. Giving either to Finance stays
// refused, since Finance would then hold a location inside Sales' data:
// the refusal names the stored location that blocks it and says how to
// correct it, and the change of owner goes through once it is corrected.
func TestLegacyLocationOverlap(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			m := newOwnershipMesh(t, kind) // Sales: sales at s3://sales-data/
			owned := map[string]string{"data_owner": marketingID}
			// as an older version stored them, before the check
			err := m.srv.Store.Update(ctx, func(tx store.Tx) error {
				if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "mkt", LocationURI: "s3://sales-data/mkt/", Parameters: owned}); err != nil {
					return err
				}
				if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "mkt2", LocationURI: "s3://marketing-data/", Parameters: owned}); err != nil {
					return err
				}
				return tx.CreateTables(ctx, "mkt2", []*mesh.Table{{DatabaseName: "mkt2", Name: "t", Location: "s3://sales-data/t/",
					Columns: []mesh.Column{{Name: "id", Type: "bigint"}}}})
			})
			if err != nil {
				t.Fatal(err)
			}
			patch := func(c *client.Client, path string, body map[string]any) error {
				return c.Do(ctx, http.MethodPatch, "/api/v1/catalog/databases/"+path, nil, body, nil)
			}
			kept := []struct {
				name string
				do   func() error
			}{
				{"a description", func() error { return patch(m.mkt, "mkt", map[string]any{"description": "campaigns", "version": 1}) }},
				{"Glue's UpdateDatabase sending it back", func() error {
					_, err := m.mkt.UpdateDatabaseGlue(ctx, "mkt", json.RawMessage(`{"Name": "mkt", "Description": "campaigns", "LocationUri": "s3://sales-data/mkt/",
						"Parameters": {"data_owner": "`+marketingID+`", "pii_flag": "true"}}`), 2)
					return err
				}},
				{"Glue's UpdateTable sending it back", func() error {
					_, err := m.mkt.UpdateTableGlue(ctx, "mkt2", "t", json.RawMessage(`{"Name": "t", "Description": "clicks",
						"StorageDescriptor": {"Location": "s3://sales-data/t/", "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "at", "Type": "timestamp"}]}}`), 1)
					return err
				}},
			}
			for _, k := range kept {
				if err := k.do(); err != nil {
					t.Errorf("%s: got %v, want the update taken, its location kept", k.name, err)
				}
			}
			wantHTTPError(t, "moving the table to another place in Sales' data", patch(m.mkt, "mkt2/tables/t", map[string]any{"location": "s3://sales-data/t2/", "version": 2}), http.StatusForbidden)

			refusals := []struct {
				database, field string
				version         int
				want            []string // in the message
			}{
				{"mkt", "location_uri", 3, []string{"database mkt would pass to account " + financeID, "stored location s3://sales-data/mkt/", salesID, "set location_uri outside it"}},
				{"mkt2", "parameters.data_owner", 1, []string{"table mkt2.t would pass to account " + financeID, "stored location s3://sales-data/t/", salesID, "move the table"}},
			}
			for _, r := range refusals {
				e := wantHTTPError(t, "giving "+r.database+" to Finance", patch(m.admin, r.database, map[string]any{"parameters": map[string]string{"data_owner": financeID}, "version": r.version}), http.StatusForbidden)
				for _, w := range append(r.want, "allow_location_overlap=true") {
					if e.Field != r.field || !strings.Contains(e.Message, w) {
						t.Errorf("giving %s to Finance: got field %q %q, want %s and %q in the message", r.database, e.Field, e.Message, r.field, w)
						break
					}
				}
			}
			if err := patch(m.admin, "mkt", map[string]any{"location_uri": "s3://finance-data/mkt/", "parameters": map[string]string{"data_owner": financeID}, "version": 3}); err != nil {
				t.Errorf("giving mkt to Finance with a location of its own: got %v, want it given", err)
			}
		})
	}
}
