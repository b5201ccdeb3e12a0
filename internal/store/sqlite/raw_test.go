package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// Tests that read rows the store interface does not show.

// TestSkeletonBackfill checks that users created before skeletons were kept
// get theirs when the store opens, so look-alikes of them are refused.
func TestSkeletonBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
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
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// as a store of before migration 0009 left it
	if _, err := raw.Exec(`UPDATE users SET username_skeleton = ''`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err = sqlite.Open(ctx, path, sqlite.Options{})
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
	path := filepath.Join(t.TempDir(), "meshgate.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.OutboxForgetsInput(t, db, func() []string {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT input FROM workflow_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		if len(out) != 2 {
			t.Fatalf("got %d outbox rows, want 2", len(out))
		}
		return out
	})
}
