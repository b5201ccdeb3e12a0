package postgres_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/meshgate/meshgate/internal/tcptest"
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
			// server ends the stalled session.
			takeRow(t, db, a.ID)

			unstall()
			err := await(t, done, "the stalled transaction, resumed,")
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

// takeRow sets the name of account id to "Taken" in a transaction of db,
// as another replica would, waiting for the row's lock at most 30s: a lock
// never released fails the test instead of hanging it.
func takeRow(t *testing.T, db *postgres.DB, id string) {
	t.Helper()
	ctx := context.Background()
	other, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if _, err := other.Exec(ctx, `SET LOCAL lock_timeout = '30s'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `UPDATE accounts SET name = 'Taken' WHERE id = $1`, id); err != nil {
		t.Fatalf("another transaction's update of the stalled row: %v", err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTCPUserTimeout: a transaction holding a row lock whose replica stalls
// while the server sends it a large result (a proxy between them freezes,
// so that the server finds the connection's window closed, as a stopped
// replica's kernel closes it) leaves its backend blocked writing, active
// rather than idle in its transaction, which the idle-in-transaction
// timeout does not end. Once the store's TCP user timeout passes, the
// server drops the connection and ends the session, and another replica's
// transaction gets the row. The stalled one, resumed, fails, nothing it
// wrote is kept, and its store goes on working.
func TestTCPUserTimeout(t *testing.T) {
	ctx := context.Background()
	u := storetest.PostgresSchemaURL(t)
	px, proxied := tcptest.ProxyURL(t, u)
	db, err := postgres.Open(ctx, proxied, postgres.Options{TCPUserTimeout: 2 * time.Second, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := postgres.Open(ctx, u, postgres.Options{}) // another replica, not behind the proxy
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a := &mesh.Account{ID: "111122223333", Name: "Sales", CreatedAt: base, UpdatedAt: base}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}

	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var pid int
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE accounts SET name = 'Stalled' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	// Far more than the buffers between the server and the replica hold.
	rows, err := tx.Query(ctx, `SELECT repeat('x', 1000) FROM generate_series(1, 400000)`)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("the large result's first row: %v", rows.Err())
	}
	px.Set(tcptest.Frozen) // the replica stalls in the middle of the result
	read := make(chan error, 1)
	go func() {
		for rows.Next() {
		}
		read <- rows.Err()
	}()
	waitForClientWrite(t, other, pid)

	takeRow(t, other, a.ID)

	px.Set(tcptest.Forwarding)
	if err := await(t, read, "the stalled result, its replica resumed,"); err == nil {
		t.Error("the stalled result: got nil, want an error: the server dropped the connection")
	}
	if err := tx.Commit(ctx); err == nil {
		t.Error("the stalled transaction's commit: got nil, want an error")
	}
	var got *mesh.Account
	if err := db.View(ctx, func(tx store.Tx) (err error) {
		got, err = tx.FindAccountByID(ctx, a.ID)
		return err
	}); err != nil {
		t.Fatalf("a transaction after the timeout: %v", err)
	}
	if got.Name != "Taken" {
		t.Errorf("got name %q, want %q: the other replica's", got.Name, "Taken")
	}
}

// waitForClientWrite returns once the backend pid, seen from db, runs a
// statement and waits to write to its client, or fails the test after 30s.
func waitForClientWrite(t *testing.T, db *postgres.DB, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state, wait string
		if err := db.Pool().QueryRow(context.Background(), `SELECT coalesce(state, ''), coalesce(wait_event, '')
			FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state, &wait); err != nil {
			t.Fatal(err)
		}
		if state == "active" && wait == "ClientWrite" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled backend: got state %q, waiting for %q; want active, waiting for ClientWrite", state, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTimeoutSettings: every pooled connection, and each listener's
// connection outside the pool, gets the store's idle-in-transaction and TCP
// user timeouts, rounded up to milliseconds, unless the URL sets one of its
// own (as options, a runtime parameter, or through PGOPTIONS), which is
// kept; a negative timeout leaves PostgreSQL's own. Each is set apart from
// the other.
func TestTimeoutSettings(t *testing.T) {
	ctx := context.Background()
	settings := []struct {
		name string
		set  func(*postgres.Options, time.Duration)
	}{
		{"idle_in_transaction_session_timeout", func(o *postgres.Options, d time.Duration) { o.IdleInTransactionTimeout = d }},
		{"tcp_user_timeout", func(o *postgres.Options, d time.Duration) { o.TCPUserTimeout = d }},
	}
	serverOwn := func(t *testing.T, setting string) string {
		conn, err := pgx.Connect(ctx, storetest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		return settingOf(t, conn, setting)
	}
	// In the URL and PGOPTIONS, SETTING is the setting's name.
	tests := []struct {
		name    string
		timeout time.Duration
		query   url.Values
		env     string // PGOPTIONS
		want    string // "": PostgreSQL's own
	}{
		{name: "default", want: "60000"},
		{name: "set", timeout: 2 * time.Second, want: "2000"},
		{name: "rounded up", timeout: 2*time.Second + 500*time.Microsecond, want: "2001"},
		{name: "PostgreSQL's own", timeout: -1},
		{name: "URL options", timeout: 2 * time.Second,
			query: url.Values{"options": {"-c statement_timeout=0 -c SETTING=7s"}}, want: "7000"},
		{name: "URL runtime parameter", timeout: 2 * time.Second,
			query: url.Values{"SETTING": {"8s"}}, want: "8000"},
		{name: "PGOPTIONS", timeout: 2 * time.Second, env: "-c SETTING=9s", want: "9000"},
	}
	schemaURL := storetest.PostgresSchemaURL(t)
	for _, st := range settings {
		for _, tt := range tests {
			t.Run(st.name+"/"+tt.name, func(t *testing.T) {
				if tt.env != "" {
					t.Setenv("PGOPTIONS", strings.ReplaceAll(tt.env, "SETTING", st.name))
				}
				u, err := url.Parse(schemaURL)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				for k, v := range tt.query {
					q.Set(strings.ReplaceAll(k, "SETTING", st.name), strings.ReplaceAll(v[0], "SETTING", st.name))
				}
				u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads no + as a space
				// The store creates its schema, there already, on a
				// connection of its own.
				opts := postgres.Options{MaxConns: 2, Schema: u.Query().Get("search_path")}
				st.set(&opts, tt.timeout)
				sessions := newSessionsAfter([]string{"CREATE SCHEMA", "LISTEN "}, settings[0].name, settings[1].name)
				db, err := postgres.OpenTraced(ctx, u.String(), opts, sessions)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				want := tt.want
				if want == "" {
					want = serverOwn(t, st.name)
				}
				// Two connections at once: each has it, and the other
				// timeout's default.
				var conns []*pgx.Conn
				for range 2 {
					c, err := db.Pool().Acquire(ctx)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Release()
					conns = append(conns, c.Conn())
				}
				// And so has each connection outside the pool: the one
				// that created the schema, and each listener's.
				type conn struct {
					name     string
					settings map[string]string
				}
				got := []conn{{"the schema's creation", sessions.next(t, "CREATE SCHEMA").settings}}
				for i, c := range conns {
					s := conn{fmt.Sprintf("connection %d", i), map[string]string{}}
					for _, other := range settings {
						s.settings[other.name] = settingOf(t, c, other.name)
					}
					got = append(got, s)
				}
				for _, l := range listeners {
					startListener(t, db, l.listen)
					got = append(got, conn{l.name, sessions.next(t, "LISTEN ").settings})
				}
				for _, s := range got {
					for _, other := range settings {
						want := want
						if other.name != st.name {
							want = "60000"
						}
						if s.settings[other.name] != want {
							t.Errorf("%s: got %s %sms, want %sms", s.name, other.name, s.settings[other.name], want)
						}
					}
				}
			})
		}
	}
}

// TestTimeoutTooLong: a timeout PostgreSQL cannot take is refused when the
// store opens, before it connects.
func TestTimeoutTooLong(t *testing.T) {
	for _, opts := range []postgres.Options{
		{IdleInTransactionTimeout: postgres.MaxIdleInTransactionTimeout + time.Millisecond},
		{TCPUserTimeout: postgres.MaxTCPUserTimeout + time.Millisecond},
	} {
		if _, err := postgres.Open(context.Background(), "postgres://127.0.0.1:1/unreached", opts); err == nil {
			t.Errorf("%+v: got nil, want the timeout refused", opts)
		}
	}
}

// settingOf returns the connection's setting name, in milliseconds.
func settingOf(t *testing.T, conn *pgx.Conn, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
