package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestStore runs the shared suite on PostgreSQL (MESHGATE_TEST_POSTGRES).
func TestStore(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.OpenPostgres(t, nil) })
}

// TestTransient: a real deadlock is transient, a unique violation is not.
func TestTransient(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	ctx := context.Background()
	pool := db.Pool()
	if _, err := pool.Exec(ctx, `CREATE TABLE locks (id int PRIMARY KEY); INSERT INTO locks VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO locks VALUES (1)`)
	if err == nil || db.Transient(err) {
		t.Errorf("unique violation %v: got transient, want not", err)
	}
	// Two transactions lock the rows in opposite orders: the server aborts one.
	var txs [2]pgx.Tx
	for i := range txs {
		if txs[i], err = pool.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		defer txs[i].Rollback(ctx)
		if _, err := txs[i].Exec(ctx, `UPDATE locks SET id = id WHERE id = $1`, i+1); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 2)
	for i := range txs {
		go func() {
			_, err := txs[i].Exec(ctx, `UPDATE locks SET id = id WHERE id = $1`, 2-i)
			if err != nil {
				txs[i].Rollback(ctx) // lets the other one through
			}
			errs <- err
		}()
	}
	var failed []error
	for range txs {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !db.Transient(fmt.Errorf("update: %w", failed[0])) {
		t.Errorf("got errors %v, want one deadlock, transient", failed)
	}
}
