package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Tests that read rows the store interface does not show.

// TestSkeletonBackfill checks that users created before skeletons were kept
// get theirs when the store opens, so look-alikes of them are refused.
func TestSkeletonBackfill(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "111122223333", Name: "Sales", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "alice", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0009 left it
	if _, err := db.Pool().Exec(ctx, `UPDATE users SET username_skeleton = ''`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.CreateUser(ctx, &mesh.User{AccountID: "111122223333", Username: "Alice", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	if !mesh.IsCode(err, mesh.ECONFLICT) {
		t.Errorf("a look-alike of a user from before skeletons: got %v, want conflict", err)
	}
}

// TestOutboxForgetsInput: see storetest.OutboxForgetsInput.
func TestOutboxForgetsInput(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	storetest.OutboxForgetsInput(t, db, func() []string {
		rows, err := db.Pool().Query(context.Background(), `SELECT input FROM workflow_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(out) != 2 {
			t.Fatalf("got %d outbox rows (%v), want 2", len(out), err)
		}
		return out
	})
}
