package api_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestRequestIdempotencyKey: a create retried with its Idempotency-Key
// returns the request the first made (200), even once it is SHARED and so
// no longer open; the same key with another body is 409; another user's
// same key is theirs; a malformed key is 400 naming the header.
func TestRequestIdempotencyKey(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv, admin := servertest.New(t, servertest.Options{Store: kind})
			ctx := context.Background()
			for _, a := range []client.AccountInput{{ID: "111122223333", Name: "Sales"}, {ID: "222233334444", Name: "Analytics"}} {
				if _, err := admin.OnboardAccount(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := admin.CreateDatabase(ctx, &client.Database{Name: "sales", Parameters: map[string]string{"data_owner": "111122223333"}}); err != nil {
				t.Fatal(err)
			}
			if err := admin.CreateTables(ctx, "sales", []client.Table{{Name: "orders", Columns: []client.Column{{Name: "id", Type: "int"}}},
				{Name: "customers", Columns: []client.Column{{Name: "id", Type: "int"}}}}); err != nil {
				t.Fatal(err)
			}
			ann := sharingUser(t, srv, admin, "222233334444", "ann", mesh.RoleMember)
			bob := sharingUser(t, srv, admin, "222233334444", "bob", mesh.RoleMember)
			in := client.RequestInput{Database: "sales", Table: "orders", Justification: "the report", IdempotencyKey: "report:2026-03.v1"}

			first, created, err := ann.CreateRequest(ctx, in)
			if err != nil || !created || first.Status != mesh.RequestShared {
				t.Fatalf("first: got %+v, created %v, %v; want a new SHARED request", first, created, err)
			}
			retry := in
			retry.Justification = "the report (sent again)"
			again, created, err := ann.CreateRequest(ctx, retry)
			if err != nil || created || again.ID != first.ID {
				t.Errorf("same key, same body: got %+v, created %v, %v; want request %d back with 200", again, created, err, first.ID)
			}
			for _, c := range []struct {
				name string
				edit func(*client.RequestInput)
			}{
				{"another table", func(r *client.RequestInput) { r.Table = "customers" }},
				{"other permissions", func(r *client.RequestInput) { r.Permissions = []string{"SELECT"} }},
			} {
				other := in
				c.edit(&other)
				_, _, err := ann.CreateRequest(ctx, other)
				sharingError(t, err, 409, in.IdempotencyKey)
			}
			// a mesh admin's key, asked again for another account
			forAnalytics := client.RequestInput{Database: "sales", Table: "customers", TargetAccount: "222233334444", Justification: "x", IdempotencyKey: "adm-1"}
			if _, created, err := admin.CreateRequest(ctx, forAnalytics); err != nil || !created {
				t.Fatalf("admin's request: got created %v, %v", created, err)
			}
			forAnalytics.TargetAccount = "111122223333"
			_, _, err = admin.CreateRequest(ctx, forAnalytics)
			sharingError(t, err, 409, "adm-1")
			theirs, created, err := bob.CreateRequest(ctx, in)
			if err != nil || !created || theirs.ID == first.ID {
				t.Errorf("another user, same key: got %+v, created %v, %v; want a new request", theirs, created, err)
			}
			for _, key := range []string{"has space", "semi;colon", "ü", strings.Repeat("k", 65)} {
				bad := in
				bad.IdempotencyKey = key
				_, _, err := ann.CreateRequest(ctx, bad)
				if ce := sharingError(t, err, 400, ""); ce.Field != "Idempotency-Key" {
					t.Errorf("key %q: got field %q, want Idempotency-Key", key, ce.Field)
				}
			}
			// the longest key is accepted
			long := in
			long.IdempotencyKey = strings.Repeat("k", 64)
			if _, created, err := ann.CreateRequest(ctx, long); err != nil || !created {
				t.Errorf("64-character key: got created %v, %v; want a new request", created, err)
			}
			// concurrent creates with one key (a client retrying before the
			// first answer came): one request, every answer names it
			race := client.RequestInput{Database: "sales", Table: "customers", Justification: "race", IdempotencyKey: "race-1"}
			var wg sync.WaitGroup
			ids, news := make([]int64, 8), make([]bool, 8)
			for i := range ids {
				wg.Go(func() {
					r, created, err := ann.CreateRequest(ctx, race)
					if err != nil {
						t.Errorf("concurrent create %d: %v", i, err)
						return
					}
					ids[i], news[i] = r.ID, created
				})
			}
			wg.Wait()
			made := 0
			for _, c := range news {
				if c {
					made++
				}
			}
			if n := len(slices.Compact(slices.Sorted(slices.Values(ids)))); n != 1 || made != 1 {
				t.Errorf("concurrent creates with one key: got ids %v, created %v; want one id, created once", ids, news)
			}
			// without a key the client makes a fresh one each call: two requests
			plain := client.RequestInput{Database: "sales", Table: "orders", Justification: "the report"}
			a, _, errA := ann.CreateRequest(ctx, plain)
			b, _, errB := ann.CreateRequest(ctx, plain)
			if errA != nil || errB != nil || a.ID == b.ID {
				t.Errorf("no key twice: got %v (%v) and %v (%v); want two requests", a, errA, b, errB)
			}
			// a used key answers with its request even when the table has gone
			if err := admin.DeleteTable(ctx, "sales", "orders"); err != nil {
				t.Fatal(err)
			}
			gone, created, err := ann.CreateRequest(ctx, in)
			if err != nil || created || gone.ID != first.ID {
				t.Errorf("used key, table gone: got %+v, created %v, %v; want request %d back", gone, created, err, first.ID)
			}
			fresh := in
			fresh.IdempotencyKey = "report:2026-04.v1"
			if _, _, err := ann.CreateRequest(ctx, fresh); err == nil {
				t.Errorf("new key, table gone: got no error, want 404")
			} else {
				sharingError(t, err, 404, "orders")
			}
		})
	}
}
