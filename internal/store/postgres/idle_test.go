package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestIdleInTransactionTimeout: a transaction that stalls holding a row
// lock, longer than the store's idle-in-transaction timeout, loses its
// session. Another transaction then gets the row; the stalled one's next
// statement, or its commit, fails; nothing it wrote is kept; and the store
// goes on working, on connections that are alive.
func TestIdleInTransactionTimeout(t *testing.T) {
	tests := []struct {
		name string
		// resumed is what the stalled transaction does once it runs
		// again, before it commits unless resumed fails.
		resumed func(ctx context.Context, tx store.Tx, a *mesh.Account) error
	}{
		{"next statement", func(ctx context.Context, tx store.Tx, a *mesh.Account) error {
			a.Email = "stalled@example.com"
			return tx.UpdateAccount(ctx, a)
		}},
		{"commit", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openMigrated(t, postgres.Options{IdleInTransactionTimeout: 300 * time.Millisecond, MaxConns: 2})
			base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			a := &mesh.Account{ID: "111122223333", Name: "Sales", Email: "sales@example.com", CreatedAt: base, UpdatedAt: base}
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, a) }); err != nil {
				t.Fatal(err)
			}

			locked, resume := make(chan struct{}), make(chan struct{})
			unstall := sync.OnceFunc(func() { close(resume) })
			defer unstall()
			done := make(chan error, 1)
			var resumedErr error
			go func() {
				done <- db.Update(ctx, func(tx store.Tx) error {
					stalled := *a
					stalled.Name = "Stalled"
					if err := tx.UpdateAccount(ctx, &stalled); err != nil {
						return err
					}
					close(locked)
					<-resume // the replica stalls: its transaction idle, the row locked
					if tt.resumed != nil {
						resumedErr = tt.resumed(ctx, tx, &stalled)
					}
					return resumedErr
				})
			}()
			select {
			case <-locked:
			case err := <-done:
				t.Fatalf("the stalled transaction ended before it stalled: %v", err)
			}

			// Another replica's transaction waits for the row until the
			// server ends the stalled session; its wait is bounded, so that a
			// lock never released fails the test instead of hanging it.
			other, err := db.Pool().Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback(ctx)
			if _, err := other.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
				t.Fatal(err)
			}
			if _, err := other.Exec(ctx, `UPDATE accounts SET name = 'Taken' WHERE id = $1`, a.ID); err != nil {
				t.Fatalf("another transaction's update of the stalled row: %v", err)
			}
			if err := other.Commit(ctx); err != nil {
				t.Fatal(err)
			}

			unstall()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the stalled transaction did not return once resumed")
			}
			if err == nil {
				t.Fatal("the stalled transaction: got nil, want an error")
			}
			if tt.resumed != nil && !idleSessionEnded(resumedErr) {
				t.Errorf("the stalled transaction's next statement: got %v, want the session ended for its idle transaction (25P03)", resumedErr)
			}
			if !idleSessionEnded(err) {
				t.Errorf("the stalled transaction: got %v, want the session ended for its idle transaction (25P03)", err)
			}

			var got *mesh.Account
			if err := db.View(ctx, func(tx store.Tx) (err error) {
				got, err = tx.FindAccountByID(ctx, a.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got.Name != "Taken" || got.Email != "sales@example.com" {
				t.Errorf("got name %q, email %q; want %q, %q: nothing of the stalled transaction", got.Name, got.Email, "Taken", "sales@example.com")
			}

			// The dead connection is not back in the pool, and the store
			// works: as many transactions at once as the pool holds.
			for _, c := range db.Pool().AcquireAllIdle(ctx) {
				if c.Conn().IsClosed() {
					t.Error("the pool keeps a closed connection")
				}
				c.Release()
			}
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for i := range 2 {
				wg.Go(func() {
					errs <- db.Update(ctx, func(tx store.Tx) error {
						b := &mesh.Account{ID: "22223333444" + string(rune('0'+i)), Name: "After", CreatedAt: base, UpdatedAt: base}
						if err := tx.CreateAccount(ctx, b); err != nil {
							return err
						}
						_, err := tx.FindAccounts(ctx, store.AccountFilter{})
						return err
					})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a transaction after the timeout: %v", err)
				}
			}
		})
	}
}

// openMigrated opens a store with opts on a fresh schema that a store with
// the default timeout migrated first, so that no migration's transaction
// risks a timeout as short as a test's on a loaded machine.
func openMigrated(t *testing.T, opts postgres.Options) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	u := storetest.PostgresSchemaURL(t)
	first, err := postgres.Open(ctx, u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	db, err := postgres.Open(ctx, u, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// idleSessionEnded reports whether err is the server's ending of a session
// whose transaction was idle too long.
func idleSessionEnded(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25P03"
}

// TestIdleInTransactionTimeoutSetting: every pooled connection gets the
// store's timeout, rounded up to milliseconds, unless the URL sets one of
// its own (as options, a runtime parameter, or through PGOPTIONS), which
// is kept; a negative timeout leaves PostgreSQL's own.
func TestIdleInTransactionTimeoutSetting(t *testing.T) {
	ctx := context.Background()
	serverOwn := func(t *testing.T) string {
		conn, err := pgx.Connect(ctx, storetest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		return setting(t, conn)
	}
	tests := []struct {
		name    string
		timeout time.Duration
		query   url.Values
		env     string // PGOPTIONS
		want    func(t *testing.T) string
	}{
		{name: "default", want: is("60000")},
		{name: "set", timeout: 2 * time.Second, want: is("2000")},
		{name: "rounded up", timeout: 2*time.Second + 500*time.Microsecond, want: is("2001")},
		{name: "PostgreSQL's own", timeout: -1, want: serverOwn},
		{name: "URL options", timeout: 2 * time.Second,
			query: url.Values{"options": {"-c statement_timeout=0 -c idle_in_transaction_session_timeout=7s"}}, want: is("7000")},
		{name: "URL runtime parameter", timeout: 2 * time.Second,
			query: url.Values{"idle_in_transaction_session_timeout": {"8s"}}, want: is("8000")},
		{name: "PGOPTIONS", timeout: 2 * time.Second, env: "-c idle_in_transaction_session_timeout=9s", want: is("9000")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("PGOPTIONS", tt.env)
			}
			u, err := url.Parse(storetest.PostgresSchemaURL(t))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			for k, v := range tt.query {
				q[k] = v
			}
			u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads no + as a space
			db, err := postgres.Open(ctx, u.String(), postgres.Options{IdleInTransactionTimeout: tt.timeout, MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			want := tt.want(t)
			// Two connections at once: each has it.
			var conns []*pgx.Conn
			for range 2 {
				c, err := db.Pool().Acquire(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Release()
				conns = append(conns, c.Conn())
			}
			for i, c := range conns {
				if got := setting(t, c); got != want {
					t.Errorf("connection %d: got idle_in_transaction_session_timeout %sms, want %sms", i, got, want)
				}
			}
		})
	}
}

// TestIdleInTransactionTimeoutTooLong: a timeout PostgreSQL cannot take is
// refused when the store opens, before it connects.
func TestIdleInTransactionTimeoutTooLong(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://127.0.0.1:1/unreached",
		postgres.Options{IdleInTransactionTimeout: postgres.MaxIdleInTransactionTimeout + time.Millisecond})
	if err == nil {
		t.Fatal("got nil, want the timeout refused")
	}
}

func is(v string) func(*testing.T) string { return func(*testing.T) string { return v } }

// setting returns the connection's idle_in_transaction_session_timeout, in milliseconds.
func setting(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(context.Background(),
		`SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
