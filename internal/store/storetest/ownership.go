package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("offboarded-accounts", testOffboardedAccounts)
	register("location-overlaps", testLocationOverlaps)
}

func testOffboardedAccounts(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	identityView(t, s, func(tx store.Tx) error {
		if _, err := tx.FindOffboardedAccount(ctx, "111122223333"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("never offboarded: got %v, want not found", err)
		}
		return nil
	})
	identityUpdate(t, s, func(tx store.Tx) error {
		if err := tx.LockAccount(ctx, "111122223333", true); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("locking a missing account: got %v, want not found", err)
		}
		if err := tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", "")); err != nil {
			return err
		}
		for _, forUpdate := range []bool{false, true} {
			if err := tx.LockAccount(ctx, "111122223333", forUpdate); err != nil {
				t.Errorf("locking (for update %v): %v", forUpdate, err)
			}
		}
		return tx.DeleteAccount(ctx, "111122223333")
	})
	first := &mesh.OffboardedAccount{ID: "111122223333", Name: "Sales", OffboardedAt: identityBase, OffboardedBy: "central/root"}
	again := &mesh.OffboardedAccount{ID: "111122223333", Name: "Sales 2", OffboardedAt: identityBase.Add(time.Hour), OffboardedBy: "central/ada"}
	for _, want := range []*mesh.OffboardedAccount{first, again} {
		identityUpdate(t, s, func(tx store.Tx) error { return tx.RecordOffboardedAccount(ctx, want) })
		identityView(t, s, func(tx store.Tx) error {
			got, err := tx.FindOffboardedAccount(ctx, want.ID)
			if err != nil || *got != *want {
				t.Errorf("got %+v (%v), want %+v", got, err, want)
			}
			return nil
		})
	}
}

func testLocationOverlaps(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	db := func(name, owner, loc string) *mesh.Database {
		return &mesh.Database{Name: name, LocationURI: loc, Parameters: map[string]string{mesh.ParamDataOwner: owner}}
	}
	identityUpdate(t, s, func(tx store.Tx) error {
		for _, d := range []*mesh.Database{
			db("sales", "111122223333", "s3://sales-data"),
			db("sales2", "111122223333", "s3://sales-data-2/"),
			db("hr", "444455556666", "s3://HR-data/people/"),
			db("bare", "444455556666", ""),
		} {
			if err := tx.CreateDatabase(ctx, d); err != nil {
				return err
			}
		}
		if err := tx.CreateTables(ctx, "sales", []*mesh.Table{
			{Name: "orders", Location: "s3a://sales-data/orders"},
			{Name: "nowhere"},
		}); err != nil {
			return err
		}
		// An update moves a location; the old one is no longer found.
		d := db("hr", "444455556666", "s3://hr-data/staff/")
		return tx.UpdateDatabase(ctx, d, 1)
	})
	tests := []struct {
		name string
		loc  string
		f    store.LocationFilter
		want []string
	}{
		{"equal", "s3://sales-data-2", store.LocationFilter{}, []string{"sales2"}},
		{"inside a table", "s3://sales-data/orders/2026/", store.LocationFilter{}, []string{"sales", "sales.orders"}},
		{"containing", "S3://sales-data", store.LocationFilter{}, []string{"sales", "sales.orders"}},
		{"the whole scheme", "s3://", store.LocationFilter{}, []string{"hr", "sales", "sales.orders", "sales2"}},
		{"sibling prefix", "s3://sales-data/ord", store.LocationFilter{}, []string{"sales"}},
		{"another bucket", "s3://sales-data-3/", store.LocationFilter{}, nil},
		{"moved away", "s3://hr-data/people/x", store.LocationFilter{}, nil},
		{"moved to", "s3://hr-data/staff/x", store.LocationFilter{}, []string{"hr"}},
		{"except the owner", "s3://sales-data/orders/", store.LocationFilter{ExceptOwner: "111122223333"}, nil},
		{"except the database", "s3://sales-data/orders/", store.LocationFilter{ExceptDatabase: "sales"}, nil},
		{"limit", "s3://", store.LocationFilter{Limit: 2}, nil},
		{"several keys", "s3://hr-data/staff/", store.LocationFilter{Keys: []string{mesh.LocationKey("s3://sales-data-2/x"), ""}}, []string{"hr", "sales2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Keys = append(tt.f.Keys, mesh.LocationKey(tt.loc))
			identityView(t, s, func(tx store.Tx) error {
				uses, err := tx.FindLocationOverlaps(ctx, tt.f)
				if err != nil {
					return err
				}
				if tt.f.Limit > 0 {
					if len(uses) != tt.f.Limit {
						t.Errorf("got %d, want %d", len(uses), tt.f.Limit)
					}
					return nil
				}
				var got []string
				for _, u := range uses {
					key := u.Database
					if u.Table != "" {
						key += "." + u.Table
					}
					got = append(got, key)
					if u.Owner == "" || u.Location == "" {
						t.Errorf("got %+v, want its owner and location", u)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}
}
