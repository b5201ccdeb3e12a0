package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestAccessNoticeOncePerCommit: a transaction that bumps the access
// version several times (a batch of grants) sends the replicas one notice,
// and one rolled back sends none.
func TestAccessNoticeOncePerCommit(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, db.Pool().Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN meshgate_access`); err != nil {
		t.Fatal(err)
	}

	var versions []int64
	err = db.Update(ctx, func(tx store.Tx) error {
		for range 3 {
			v, err := tx.BumpAccessVersion(ctx)
			if err != nil {
				return err
			}
			versions = append(versions, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 3 || versions[1] != versions[0]+1 || versions[2] != versions[1]+1 {
		t.Errorf("got versions %v, want three in a row", versions)
	}
	errRollback := errors.New("roll back")
	err = db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.BumpAccessVersion(ctx); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("got %v, want the rollback", err)
	}
	var got int64
	if err := db.View(ctx, func(tx store.Tx) error {
		var err error
		got, err = tx.AccessVersion(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != versions[2] {
		t.Errorf("got access version %d after the rollback, want %d", got, versions[2])
	}
	// Notices arrive in commit order: all of the above come before this one.
	if _, err := db.Pool().Exec(ctx, `SELECT pg_notify('meshgate_access', 'end')`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var notices []string
	for {
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			t.Fatalf("waiting for the notices: %v (got %q)", err, notices)
		}
		if n.Payload == "end" {
			break
		}
		if n.Payload == schema {
			notices = append(notices, n.Payload)
		}
	}
	if len(notices) != 1 {
		t.Errorf("got %d notices, want 1 for the committed transaction", len(notices))
	}
}

// TestListenAccess: a replica's listener hears another replica's access
// change, and holds no connection of its pool while it listens.
func TestListenAccess(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresSchemaURL(t)
	var dbs [2]*postgres.DB
	for i := range dbs {
		db, err := postgres.Open(ctx, url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	lctx, stop := context.WithCancel(ctx)
	changed := make(chan struct{}, 16)
	var wg sync.WaitGroup
	wg.Go(func() { dbs[0].ListenAccess(lctx, func() { changed <- struct{}{} }) })
	defer func() { stop(); wg.Wait() }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(time.Minute):
			t.Fatalf("no call of changed %s", what)
		}
	}
	wait("when listening starts")
	if n := dbs[0].Pool().Stat().AcquiredConns(); n != 0 {
		t.Errorf("got %d pool connections taken while listening, want 0", n)
	}
	err := dbs[1].Update(ctx, func(tx store.Tx) error {
		_, err := tx.BumpAccessVersion(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wait("after the other replica's change")
}
