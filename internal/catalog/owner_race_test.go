package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestEditAfterOwnerChangeIsRefused: a producer's admin deleting a table or
// its database, who read the database (and was let through as its owner's
// admin) before a mesh admin gave it to another account, does not delete
// the new owner's data once that change has committed: the write checks the
// owner again, on the database as committed and held until it commits, and
// is refused. On PostgreSQL the two interleave (a write transaction does
// not hold the database's row while it works); on SQLite the change of
// owner waits for the write, which then went first and stands.
func TestEditAfterOwnerChangeIsRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		for _, what := range []string{"table", "database"} {
			t.Run(kind+"/"+what, func(t *testing.T) {
				st := openStore(t, kind, nil)
				s := catalog.NewService(st, nil)
				if _, err := s.CreateDatabase(as(meshAdmin), salesDB()); err != nil {
					t.Fatal(err)
				}
				if _, err := s.CreateTable(as(meshAdmin), ordersTable()); err != nil {
					t.Fatal(err)
				}
				inHook, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				s.OnDelete(func(context.Context, store.Tx, string, string) error {
					once.Do(func() { close(inHook) })
					<-release
					return nil
				})
				deleted := make(chan error, 1)
				go func() {
					if what == "table" {
						deleted <- s.DeleteTable(as(producerAdmin), "sales", "orders")
					} else {
						deleted <- s.DeleteDatabase(as(producerAdmin), "sales", catalog.DeleteOptions{Force: true})
					}
				}()
				<-inHook
				given := make(chan error, 1)
				go func() {
					_, err := s.UpdateDatabase(as(meshAdmin), "sales", catalog.DatabaseUpdate{Parameters: map[string]string{"data_owner": other}}, 1)
					given <- err
				}()
				var givenFirst bool
				select {
				case err := <-given:
					if err != nil {
						t.Fatalf("give the database away: %v", err)
					}
					givenFirst = true
				case <-time.After(500 * time.Millisecond): // SQLite: it waits for the delete
				}
				close(release)
				err := <-deleted
				if !givenFirst {
					// The delete went first and stands; the change of owner
					// then found the table gone, or the database.
					if err != nil {
						t.Errorf("delete before the change of owner: %v", err)
					}
					<-given
					return
				}
				if !mesh.IsCode(err, mesh.EFORBIDDEN) {
					t.Errorf("delete by the former owner's admin after the change of owner: got %v, want forbidden", err)
				}
				if _, err := s.FindTable(as(meshAdmin), "sales", "orders"); err != nil {
					t.Errorf("the new owner's table: got %v, want it kept", err)
				}
			})
		}
	}
}
