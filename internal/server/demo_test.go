package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/meshgate/meshgate/internal/auth"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestDemoSeedsOnce: `serve --demo` seeds its three requests on a fresh
// store only; starting again on the same store (a restart, or another
// replica) leaves them as they are, with none added.
func TestDemoSeedsOnce(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			cfg := server.Config{Demo: true, DataDir: t.TempDir(), Synchronous: "NORMAL"}
			cfg.Auth.Argon2 = auth.TestArgon2
			if kind == "postgres" {
				cfg.DatabaseURL = storetest.PostgresSchemaURL(t)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			var first []*mesh.AccessRequest
			for start := 1; start <= 2; start++ {
				s, err := server.New(ctx, cfg, log)
				if err != nil {
					t.Fatalf("start %d: %v", start, err)
				}
				var got []*mesh.AccessRequest
				err = s.Store.View(ctx, func(tx store.Tx) error {
					got, err = tx.FindAccessRequests(ctx, store.RequestFilter{Limit: 100})
					return err
				})
				if cerr := s.Store.Close(); cerr != nil {
					t.Fatal(cerr)
				}
				if err != nil {
					t.Fatal(err)
				}
				if start == 1 {
					first = got
				}
				if len(got) != 3 {
					t.Fatalf("start %d: got %d requests, want the demo's 3", start, len(got))
				}
				for i, g := range got {
					f := first[i]
					if g.ID != f.ID || g.Database != f.Database || g.Table != f.Table || g.Status != f.Status || !g.UpdatedAt.Equal(f.UpdatedAt) {
						t.Errorf("start %d: got request %d %s.%s %s (updated %v), want it as the first start left it: %d %s.%s %s (updated %v)",
							start, g.ID, g.Database, g.Table, g.Status, g.UpdatedAt, f.ID, f.Database, f.Table, f.Status, f.UpdatedAt)
					}
				}
			}
		})
	}
}
