package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meshgate/meshgate/internal/account"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestOffboardingOrdersConcurrentProducts: a product created for an account
// while the account is being offboarded (after the offboarding listed the
// account's products, before it commits) neither slips through nor outlives
// the account: the creation waits for the offboarding, then is refused.
func TestOffboardingOrdersConcurrentProducts(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			st := storetest.Open(t, kind, nil)
			accts := account.NewService(st, nil, account.Central{ID: "central", Name: "Central"})
			if err := accts.EnsureCentral(context.Background()); err != nil {
				t.Fatal(err)
			}
			cat := catalog.NewService(st, nil)
			paused, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			releaseOffboarding := func() { once.Do(func() { close(release) }) }
			defer releaseOffboarding() // also when the test fails, so that the store can close
			accts.RegisterDependents(cat.OffboardDependents)
			accts.RegisterCleanup(cat.Offboard)
			accts.RegisterCleanup(func(context.Context, store.Tx, string, string) ([]string, error) {
				close(paused)
				<-release
				return nil, nil
			})
			if err := accts.CreateAccount(as(meshAdmin), &mesh.Account{ID: producer, Name: "Sales"}); err != nil {
				t.Fatal(err)
			}
			if _, err := cat.CreateDatabase(as(meshAdmin), salesDB()); err != nil {
				t.Fatal(err)
			}
			offboarded := make(chan error, 1)
			go func() {
				_, err := accts.OffboardAccount(as(meshAdmin), producer, account.OffboardOptions{Force: true})
				offboarded <- err
			}()
			<-paused
			created := make(chan error, 1)
			go func() {
				_, err := cat.CreateDatabase(as(meshAdmin), &mesh.Database{Name: "late", Parameters: map[string]string{mesh.ParamDataOwner: producer}})
				created <- err
			}()
			if p, ok := st.(interface{ Pool() *pgxpool.Pool }); ok {
				waitForLockWait(t, p.Pool(), created)
			}
			releaseOffboarding()
			if err := <-offboarded; err != nil {
				t.Fatalf("offboard: %v", err)
			}
			if err := <-created; !mesh.IsCode(err, mesh.EINVALID) {
				t.Errorf("creating a product of the account being offboarded: got %v, want refused as offboarded", err)
			}
			err := st.View(context.Background(), func(tx store.Tx) error {
				ds, err := tx.FindDatabases(context.Background(), store.DatabaseFilter{Owner: producer})
				if len(ds) != 0 {
					t.Errorf("got %d databases owned by the offboarded account, want none", len(ds))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// waitForLockWait waits until a PostgreSQL session waits for an account's
// row lock (the creation, behind the offboarding), failing the test if the
// creation finishes first or nothing waits within 20 seconds.
func waitForLockWait(t *testing.T, pool *pgxpool.Pool, created <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-created:
			t.Fatalf("the creation finished (%v) while the offboarding was open, want it to wait", err)
		default:
		}
		var n int
		err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_xact_lock_shared(1633903476,%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("no session waited for the account's lock")
}
