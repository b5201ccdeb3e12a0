package storetest

import (
	"context"
	"testing"

	"github.com/meshgate/meshgate/internal/store"
)

func init() { register("migrate", testMigrate) }

// testMigrate checks that a fresh store is reachable and answers a transaction.
func testMigrate(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	called := false
	if err := s.View(ctx, func(tx store.Tx) error { called = true; return nil }); err != nil {
		t.Fatalf("view: %v", err)
	}
	if !called {
		t.Fatal("view did not call its function")
	}
}
