package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("sharing_request_keys", testSharingRequestKeys)
}

// testSharingRequestKeys: an idempotency key is unique per requester
// (account and user), kept with its request, and absent keys never collide.
func testSharingRequestKeys(t *testing.T, open Opener) {
	s := openWithTargets(t, open)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	// shared requests, so that the one-open-request index stays out of the way
	keyed := func(user, account, table, key string) *mesh.AccessRequest {
		r := sampleRequest(user, account, "sales", table, now)
		r.Status, r.IdempotencyKey, r.ExecutionID = mesh.RequestShared, key, r.ExecutionID+"-"+key
		return r
	}
	var first *mesh.AccessRequest
	mustUpdate(t, s, func(tx store.Tx) error {
		first = keyed("ann", "222233334444", "orders", "k-1")
		if ok, err := tx.InsertAccessRequest(ctx, first); err != nil || !ok {
			t.Fatalf("first insert: got %v, %v; want inserted", ok, err)
		}
		for _, c := range []struct {
			name string
			r    *mesh.AccessRequest
			want bool
		}{
			{"same user, same key, another table", keyed("ann", "222233334444", "customers", "k-1"), false},
			{"same user, another key", keyed("ann", "222233334444", "orders", "k-2"), true},
			{"another user of the account, same key", keyed("bob", "222233334444", "orders", "k-1"), true},
			{"same username in another account, same key", keyed("ann", "333344445555", "orders", "k-1"), true},
			{"no key", keyed("ann", "222233334444", "orders", ""), true},
			{"no key again", keyed("ann", "222233334444", "orders", ""), true},
		} {
			if ok, err := tx.InsertAccessRequest(ctx, c.r); err != nil || ok != c.want {
				t.Errorf("%s: got %v, %v; want inserted %v", c.name, ok, err, c.want)
			}
		}
		return nil
	})
	// a later transaction (another replica's) cannot reuse the key either
	mustUpdate(t, s, func(tx store.Tx) error {
		if ok, err := tx.InsertAccessRequest(ctx, keyed("ann", "222233334444", "orders", "k-1")); err != nil || ok {
			t.Errorf("key reused in a later transaction: got %v, %v; want not inserted", ok, err)
		}
		got, err := tx.FindAccessRequestByKey(ctx, "222233334444", "ann", "k-1")
		if err != nil || got.ID != first.ID || got.IdempotencyKey != "k-1" {
			t.Errorf("by key: got %+v, %v; want id %d with key k-1", got, err, first.ID)
		}
		if r, err := tx.FindAccessRequest(ctx, first.ID); err != nil || r.IdempotencyKey != "k-1" {
			t.Errorf("by id: got %+v, %v; want key k-1", r, err)
		}
		for _, k := range [][3]string{{"222233334444", "ann", "k-9"}, {"222233334444", "carl", "k-1"}, {"444455556666", "ann", "k-1"}} {
			if _, err := tx.FindAccessRequestByKey(ctx, k[0], k[1], k[2]); mesh.ErrorCode(err) != mesh.ENOTFOUND {
				t.Errorf("by key %v: got %v, want ENOTFOUND", k, err)
			}
		}
		return nil
	})
}
