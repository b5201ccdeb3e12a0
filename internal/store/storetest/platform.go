package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("platform", testPlatform) }

func testPlatform(t *testing.T, open Opener) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Run("registration", func(t *testing.T) {
		s := open(t)
		p := &store.PlatformRecord{Name: "pg1", Kind: "postgres", DSN: "postgres://meshgate@db/x", PasswordRef: "env:PGPW",
			AccountID: "producer", RoleMode: "per_user", RoleMap: "{}", Schemas: `["sales"]`, CreateRoles: true, CreatedBy: "central/admin", CreatedAt: now, UpdatedAt: now}
		mustUpdate(t, s, func(tx store.Tx) error { return tx.CreatePlatform(ctx, p) })
		if p.ID == 0 {
			t.Fatal("got id 0, want an id")
		}
		dup := *p
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreatePlatform(ctx, &dup) })
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("a second pg1: got %v, want ECONFLICT", err)
		}
		mustView(t, s, func(tx store.Tx) error {
			got, err := tx.FindPlatform(ctx, "pg1")
			if err != nil {
				return err
			}
			if got.ID != p.ID || got.PasswordRef != "env:PGPW" || !got.CreateRoles || !got.CreatedAt.Equal(now) || got.RoleMode != "per_user" || got.Schemas != `["sales"]` {
				t.Errorf("got %+v, want %+v", got, p)
			}
			if _, err := tx.FindPlatformByID(ctx, p.ID); err != nil {
				return err
			}
			if _, err := tx.FindPlatform(ctx, "nope"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unknown platform: got %v, want ENOTFOUND", err)
			}
			all, err := tx.FindPlatforms(ctx)
			if len(all) != 1 {
				t.Errorf("got %d platforms, want 1", len(all))
			}
			return err
		})
	})
	t.Run("objects, outbox and states", func(t *testing.T) {
		s := open(t)
		p := &store.PlatformRecord{Name: "m1", Kind: "mariadb", DSN: "root@tcp(h)/", AccountID: "a", RoleMode: "fixed", RoleMap: "{}", Schemas: "[]", CreatedAt: now, UpdatedAt: now}
		mustUpdate(t, s, func(tx store.Tx) error {
			if err := tx.CreatePlatform(ctx, p); err != nil {
				return err
			}
			for _, o := range []store.PlatformObject{
				{PlatformID: p.ID, Database: "m1-sales", NativeSchema: "Sales"},
				{PlatformID: p.ID, Database: "m1-sales", Table: "orders", NativeSchema: "Sales", NativeTable: "Orders"},
				{PlatformID: p.ID, Database: "m1-sales", Table: "orders", Column: "id", NativeSchema: "Sales", NativeTable: "Orders", NativeColumn: "Id"},
			} {
				if err := tx.PutPlatformObject(ctx, o); err != nil {
					return err
				}
			}
			return tx.PutPlatformObject(ctx, store.PlatformObject{PlatformID: p.ID, Database: "m1-sales", Table: "orders", NativeSchema: "Sales", NativeTable: "ORDERS"})
		})
		mustView(t, s, func(tx store.Tx) error {
			id, err := tx.FindPlatformOfDatabase(ctx, "m1-sales")
			if err != nil || id != p.ID {
				t.Errorf("platform of m1-sales: got %d %v, want %d", id, err, p.ID)
			}
			if _, err := tx.FindPlatformOfDatabase(ctx, "other"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("unmanaged database: got %v, want ENOTFOUND", err)
			}
			os, err := tx.FindPlatformObjects(ctx, p.ID, "m1-sales")
			if len(os) != 3 || os[1].NativeTable != "ORDERS" {
				t.Errorf("got %+v, want 3 objects with the table renamed ORDERS", os)
			}
			return err
		})
		mustUpdate(t, s, func(tx store.Tx) error { return tx.DeletePlatformObject(ctx, "m1-sales", "orders", "") })
		mustView(t, s, func(tx store.Tx) error {
			os, err := tx.FindPlatformObjects(ctx, p.ID, "")
			if len(os) != 1 {
				t.Errorf("after deleting the table: got %+v, want the schema only", os)
			}
			return err
		})

		var c1, c2 store.PlatformChange
		mustUpdate(t, s, func(tx store.Tx) error {
			c1 = store.PlatformChange{PlatformID: p.ID, Database: "m1-sales", Table: "orders", CreatedAt: now}
			c2 = store.PlatformChange{PlatformID: p.ID, Database: "m1-sales", CreatedAt: now}
			if err := tx.EnqueuePlatformChange(ctx, &c1); err != nil {
				return err
			}
			return tx.EnqueuePlatformChange(ctx, &c2)
		})
		mustUpdate(t, s, func(tx store.Tx) error {
			got, err := tx.ClaimPlatformChanges(ctx, now, now.Add(time.Minute), 10)
			if err != nil {
				return err
			}
			if len(got) != 2 || got[0].ID != c1.ID || got[0].Attempts != 1 || got[0].Table != "orders" {
				t.Errorf("claim: got %+v, want c1 then c2, attempt 1", got)
			}
			again, err := tx.ClaimPlatformChanges(ctx, now.Add(time.Second), now.Add(time.Minute), 10)
			if err != nil || len(again) != 0 {
				t.Errorf("claim while leased: got %d, %v; want 0", len(again), err)
			}
			if err := tx.DeletePlatformChange(ctx, c1.ID); err != nil {
				return err
			}
			return tx.FailPlatformChange(ctx, c2.ID, "connection refused", now.Add(5*time.Second))
		})
		mustUpdate(t, s, func(tx store.Tx) error {
			got, err := tx.ClaimPlatformChanges(ctx, now.Add(5*time.Second), now.Add(time.Minute), 10)
			if len(got) != 1 || got[0].ID != c2.ID || got[0].Attempts != 2 || got[0].LastError != "connection refused" {
				t.Errorf("retry: got %+v, want c2 at attempt 2 with its error", got)
			}
			n, _ := tx.CountPlatformChanges(ctx, p.ID)
			if n != 1 {
				t.Errorf("waiting: got %d, want 1", n)
			}
			return err
		})

		mustUpdate(t, s, func(tx store.Tx) error {
			for _, st := range []store.PlatformGrantStatus{
				{GrantID: 7, PlatformID: p.ID, State: store.PlatformPending, UpdatedAt: now},
				{GrantID: 7, PlatformID: p.ID, State: store.PlatformFailed, Error: "permission denied", UpdatedAt: now},
				{GrantID: 8, PlatformID: p.ID, State: store.PlatformInForce, UpdatedAt: now},
			} {
				if err := tx.SetPlatformGrantStatus(ctx, st); err != nil {
					return err
				}
			}
			return tx.DeletePlatformGrantStatus(ctx, 8)
		})
		mustView(t, s, func(tx store.Tx) error {
			got, err := tx.FindPlatformGrantStatuses(ctx, 0, p.ID)
			if len(got) != 1 || got[0].State != store.PlatformFailed || got[0].Error != "permission denied" {
				t.Errorf("got %+v, want grant 7 failed", got)
			}
			return err
		})
		mustUpdate(t, s, func(tx store.Tx) error { return tx.DeletePlatform(ctx, p.ID) })
		mustView(t, s, func(tx store.Tx) error {
			got, err1 := tx.FindPlatformGrantStatuses(ctx, 7, 0)
			os, err2 := tx.FindPlatformObjects(ctx, p.ID, "")
			n, err := tx.CountPlatformChanges(ctx, p.ID)
			if len(got)+len(os)+n != 0 {
				t.Errorf("after removal: got %d states, %d objects, %d changes, want none", len(got), len(os), n)
			}
			return errors.Join(err1, err2, err)
		})
	})
}
