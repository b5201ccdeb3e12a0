package catalog_test

import (
	"context"
	"sync"
	"testing"

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
// is refused. On PostgreSQL a table's delete and the change interleave (a
// write transaction does not hold the database's row while it works); a
// database's forced delete holds its owner's account, and on SQLite the
// one writer, so there the change of owner waits for the delete, which
// goes first and stands.
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
				if kind == "sqlite" || what == "database" {
					// The change of owner waits for the delete (SQLite's
					// one writer; on PostgreSQL the former owner's
					// account, which a forced delete holds): the delete
					// goes first and stands; the change of owner then
					// finds the table gone, or the database.
					close(release)
					if err := <-deleted; err != nil {
						t.Errorf("delete before the change of owner: %v", err)
					}
					err := <-given
					if what == "table" && err != nil {
						t.Errorf("change of owner after the table's delete: %v", err)
					}
					if what == "database" && !mesh.IsCode(err, mesh.ENOTFOUND) {
						t.Errorf("change of owner after the database's delete: got %v, want not found", err)
					}
					return
				}
				if err := <-given; err != nil {
					t.Fatalf("give the database away: %v", err)
				}
				close(release)
				err := <-deleted
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

// TestTableWriteOrderedWithOwnerChange: a table written while a change of
// its database's data_owner runs is checked against the owner it sees at
// commit. A mesh admin puts a table of sales, the producer's, inside
// s3://raw/, the producer's other database (fine while both are the
// producer's), while another gives sales to the other account (after which
// the table would shadow the producer's data). Whichever holds sales first
// commits; the other waits for it and is refused: the change of owner
// when the table went first, the table write when the change of owner
// did. On PostgreSQL the change of owner checked its tables before it
// waited for the table write's hold of the database, and gave the table
// away unchecked.
func TestTableWriteOrderedWithOwnerChange(t *testing.T) {
	spill := "s3://raw/spill/"
	writes := []struct {
		name string
		run  func(s *catalog.Service) error
	}{
		{"create", func(s *catalog.Service) error {
			_, err := s.CreateTable(as(meshAdmin), &mesh.Table{DatabaseName: "sales", Name: "spill", Location: spill})
			return err
		}},
		{"update", func(s *catalog.Service) error {
			_, err := s.UpdateTable(as(meshAdmin), "sales", "orders", catalog.TableUpdate{Location: &spill}, 1)
			return err
		}},
	}
	giveAway := func(s *catalog.Service) error {
		_, err := s.UpdateDatabase(as(meshAdmin), "sales", catalog.DatabaseUpdate{Parameters: map[string]string{mesh.ParamDataOwner: other}}, 1)
		return err
	}
	for _, kind := range storetest.Kinds() {
		for _, w := range writes {
			for _, tableFirst := range []bool{true, false} {
				name := kind + "/" + w.name + "/owner-first"
				if tableFirst {
					name = kind + "/" + w.name + "/table-first"
				}
				t.Run(name, func(t *testing.T) {
					st, waitForLock := openOrdered(t, kind)
					s := catalog.NewService(st, nil)
					for _, d := range []*mesh.Database{salesDB(), {Name: "raw", LocationURI: "s3://raw/", Parameters: map[string]string{mesh.ParamDataOwner: producer}}} {
						if _, err := s.CreateDatabase(as(meshAdmin), d); err != nil {
							t.Fatal(err)
						}
					}
					orders := ordersTable()
					orders.Location = "s3://sales/orders/"
					if _, err := s.CreateTable(as(meshAdmin), orders); err != nil {
						t.Fatal(err)
					}
					paused, release := make(chan struct{}, 1), make(chan struct{})
					var once sync.Once
					releaseFirst := func() { once.Do(func() { close(release) }) }
					defer releaseFirst() // also when the test fails, so that the store can close
					held := catalog.NewService(&storetest.Pausing{Store: st, Paused: paused, Release: release}, nil)
					first, second := w.run, giveAway
					if !tableFirst {
						first, second = giveAway, w.run
					}
					firstDone := make(chan error, 1)
					go func() { firstDone <- first(held) }()
					select {
					case <-paused: // it holds sales until it commits
					case err := <-firstDone:
						t.Fatalf("the first write ended before its commit: %v", err)
					}
					secondDone, secondEnded := make(chan error, 1), make(chan struct{})
					go func() {
						secondDone <- second(s)
						close(secondEnded)
					}()
					waitForLock(secondEnded)
					releaseFirst()
					if err := <-firstDone; err != nil {
						t.Fatalf("the write that held sales first: %v", err)
					}
					if err := <-secondDone; !mesh.IsCode(err, mesh.EFORBIDDEN) {
						t.Errorf("the write that waited for it: got %v, want forbidden (the table would shadow the producer's s3://raw/)", err)
					}
					d, err := s.FindDatabase(as(meshAdmin), "sales")
					if err != nil {
						t.Fatal(err)
					}
					if want := map[bool]string{true: producer, false: other}[tableFirst]; d.DataOwner() != want {
						t.Errorf("sales: got data_owner %s, want %s", d.DataOwner(), want)
					}
				})
			}
		}
	}
}

// openOrdered returns a fresh store of kind in which the producer and the
// other account are onboarded, and waitForLock, which returns once a
// transaction on the store waits for a lock another holds, or done is
// closed. On SQLite, whose one writer runs write transactions one after
// another, it returns at once.
func openOrdered(t *testing.T, kind string) (store.Store, func(done <-chan struct{})) {
	t.Helper()
	if kind != "postgres" {
		return openStore(t, kind, nil), func(<-chan struct{}) {}
	}
	db, name := storetest.OpenPostgresNamed(t, nil)
	storetest.CreateAccounts(t, db, producer, other)
	return db, func(done <-chan struct{}) { storetest.WaitForLock(t, db, name, done) }
}
