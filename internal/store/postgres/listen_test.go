package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/tcptest"
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

// listenFunc is one of the store's listeners (ListenAuth, ListenAccess).
type listenFunc func(db *postgres.DB, ctx context.Context, changed func()) error

// listeners are the store's listeners, each on a connection of its own
// outside the pool, and the channel each listens on.
var listeners = []struct {
	name    string
	listen  listenFunc
	channel string
}{
	{"ListenAuth", (*postgres.DB).ListenAuth, "meshgate_auth"},
	{"ListenAccess", (*postgres.DB).ListenAccess, "meshgate_access"},
}

// sessionsAfter is a tracer that reads, through each connection that runs
// a statement beginning with one of its prefixes, right after it, the
// connection's backend pid and the settings named: a session's settings
// can be read only through its own connection. Each session read is sent
// on got.
type sessionsAfter struct {
	prefixes []string
	settings []string
	got      chan session
}

// session is what a sessionsAfter read of one connection.
type session struct {
	after    string // the prefix of the statement it ran
	pid      int
	settings map[string]string
	err      error
}

type afterKey struct{}

func newSessionsAfter(prefixes []string, settings ...string) *sessionsAfter {
	return &sessionsAfter{prefixes: prefixes, settings: settings, got: make(chan session, 16)}
}

func (s *sessionsAfter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	for _, p := range s.prefixes {
		if strings.HasPrefix(d.SQL, p) {
			return context.WithValue(ctx, afterKey{}, p)
		}
	}
	return context.WithValue(ctx, afterKey{}, nil) // not the statements it reads with
}

// TraceQueryEnd reads the session on the goroutine that ran the statement,
// before the connection sends anything else.
func (s *sessionsAfter) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	after, ok := ctx.Value(afterKey{}).(string)
	if !ok || d.Err != nil {
		return
	}
	got := session{after: after, settings: map[string]string{}}
	got.err = conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&got.pid)
	for _, name := range s.settings {
		var v string
		if err := conn.QueryRow(ctx, `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&v); err != nil {
			got.err = err
		}
		got.settings[name] = v
	}
	select {
	case s.got <- got:
	case <-ctx.Done():
	}
}

// next returns the next session read, after a statement beginning with
// after, or fails the test after 30s.
func (s *sessionsAfter) next(t *testing.T, after string) session {
	t.Helper()
	select {
	case got := <-s.got:
		if got.err != nil {
			t.Fatalf("read the session after %q: %v", got.after, got.err)
		}
		if got.after != after {
			t.Fatalf("got a session after %q, want one after %q", got.after, after)
		}
		return got
	case <-time.After(30 * time.Second):
		t.Fatalf("no session ran %q within 30s", after)
		return session{}
	}
}

// startListener runs listen on db until the test ends (before db closes,
// when db was opened before), and returns the calls of changed.
func startListener(t *testing.T, db *postgres.DB, listen listenFunc) <-chan struct{} {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	changed := make(chan struct{}, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		listen(db, ctx, func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	})
	t.Cleanup(func() { stop(); wg.Wait() })
	return changed
}

// waitChanged returns once changed is called, or fails the test after 30s.
func waitChanged(t *testing.T, changed <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatalf("no call of changed %s within 30s", what)
	}
}

// TestFrozenListener: a listener whose replica stalls (a proxy between
// them freezes) while other connections notify its channel, more than the
// buffers between the server and the replica hold, leaves its backend
// blocked writing the notifications; PostgreSQL's notification queue
// cannot be cleaned past it, and once the queue fills every transaction
// that notifies fails at commit. With the store's TCP user timeout on the
// listener's connection, the server drops the connection once the timeout
// passes (a deadline far beyond it fails the test instead of hanging it).
// The listener, resumed, finds its connection gone, listens on a new one,
// calls changed for what it missed meanwhile, and hears changes again.
func TestFrozenListener(t *testing.T) {
	for _, l := range listeners {
		t.Run(l.name, func(t *testing.T) {
			ctx := context.Background()
			u := storetest.PostgresSchemaURL(t)
			px, proxied := tcptest.ProxyURL(t, u)
			sessions := newSessionsAfter([]string{"LISTEN "})
			db, err := postgres.OpenTraced(ctx, proxied, postgres.Options{TCPUserTimeout: 2 * time.Second, MaxConns: 2}, sessions)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			other, err := postgres.Open(ctx, u, postgres.Options{}) // another replica, not behind the proxy
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })

			changed := startListener(t, db, l.listen)
			stalled := sessions.next(t, "LISTEN ")
			waitChanged(t, changed, "when listening starts")

			px.Set(tcptest.Frozen)
			fillListener(t, other, l.channel, stalled.pid)
			waitForBackendGone(t, other, stalled.pid)

			px.Set(tcptest.Forwarding)
			resumed := sessions.next(t, "LISTEN ") // the listener resumed
			if resumed.pid == stalled.pid {
				t.Errorf("the resumed listener's backend: got %d, want a new one", resumed.pid)
			}
			waitChanged(t, changed, "once listening again, for what the gap missed")
			if _, err := other.Pool().Exec(ctx, `SELECT pg_notify($1, current_schema())`, l.channel); err != nil {
				t.Fatal(err)
			}
			waitChanged(t, changed, "after the other replica's change")
		})
	}
}

// fillListener notifies channel from db, about 1MB at a time of payloads
// of nearly 8000 bytes (PostgreSQL's most) that no listener takes for a
// change, until the listening backend pid has waited to write to its
// client after 4 rounds in a row (the server's kernel may grow the
// connection's send buffer once the backend waits: a backend seen waiting
// once may yet write all it was sent), or fails the test after 64MB.
func fillListener(t *testing.T, db *postgres.DB, channel string, pid int) {
	t.Helper()
	ctx := context.Background()
	waiting := 0
	for range 64 {
		if _, err := db.Pool().Exec(ctx, `SELECT pg_notify($1, i || repeat('x', 7990))
			FROM generate_series(1, 128) i`, channel); err != nil {
			t.Fatal(err)
		}
		var wait string
		if err := db.Pool().QueryRow(ctx, `SELECT coalesce(wait_event, '') FROM pg_stat_activity WHERE pid = $1`,
			pid).Scan(&wait); err != nil {
			t.Fatalf("the listener's backend: %v", err)
		}
		if wait != "ClientWrite" {
			waiting = 0
		} else if waiting++; waiting == 4 {
			return
		}
	}
	t.Fatal("the listener's backend, sent 64MB of notifications, does not keep waiting to write to its client")
}

// waitForBackendGone returns once the backend pid, seen from db, has ended,
// or fails the test after 30s.
func waitForBackendGone(t *testing.T, db *postgres.DB, pid int) {
	t.Helper()
	start := time.Now()
	for {
		var state, wait string
		err := db.Pool().QueryRow(context.Background(), `SELECT coalesce(state, ''), coalesce(wait_event, '')
			FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state, &wait)
		if errors.Is(err, pgx.ErrNoRows) {
			t.Logf("the stalled backend ended after %s", time.Since(start).Round(time.Millisecond))
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the stalled backend, after 30s: got state %q, waiting for %q; want it ended", state, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestListenerRetries: a listener whose server is down tries again after
// each failure, waiting twice as long each time up to its most (each wait
// follows more connections the proxy accepted: an attempt, and pgx's
// cancel request when it fails), and logs the outage
// once; a connection the server never answers (the proxy frozen) is given
// up after the listener's timeout. Once the server answers again, the
// listener listens, calls changed for the gap and logs that it listens
// again; the next outage starts again from the first wait.
func TestListenerRetries(t *testing.T) {
	for _, l := range listeners {
		t.Run(l.name, func(t *testing.T) {
			px, proxied := tcptest.ProxyURL(t, storetest.PostgresSchemaURL(t))
			logs := &logRecords{}
			db, err := postgres.Open(context.Background(), proxied, postgres.Options{Logger: slog.New(logs)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			steps := newStepper()
			db.SetListening(500*time.Millisecond, steps.sleep)
			changed := startListener(t, db, l.listen)
			waitChanged(t, changed, "when listening starts")

			px.Set(tcptest.Down)
			want := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
			var got []time.Duration
			accepted := px.Accepted()
			for i := range want {
				want[i] *= time.Millisecond
				got = append(got, steps.next(t))
				if a := px.Accepted(); i > 0 && a <= accepted {
					t.Errorf("before wait %d: got %d connections accepted, want more than %d", i, a, accepted)
				}
				accepted = px.Accepted()
				if i < len(want)-1 {
					steps.resume()
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got waits %v, want %v", got, want)
			}
			if got, want := logs.levels(), []slog.Level{slog.LevelWarn}; !slices.Equal(got, want) {
				t.Errorf("after the failed attempts: got log levels %v, want %v", got, want)
			}

			px.Set(tcptest.Frozen)
			steps.resume()
			if d := steps.next(t); d != 5*time.Second {
				t.Errorf("after the frozen connection: got a wait of %s, want 5s", d)
			}
			if a := px.Accepted(); a <= accepted {
				t.Errorf("after the frozen connection: got %d connections accepted, want more than %d", a, accepted)
			}

			px.Set(tcptest.Forwarding)
			steps.resume()
			waitChanged(t, changed, "once listening again, for what the gap missed")
			if got, want := logs.levels(), []slog.Level{slog.LevelWarn, slog.LevelInfo}; !slices.Equal(got, want) {
				t.Errorf("once listening again: got log levels %v, want %v", got, want)
			}

			px.Set(tcptest.Down)
			if d := steps.next(t); d != 100*time.Millisecond {
				t.Errorf("after the next loss: got a wait of %s, want 100ms", d)
			}
		})
	}
}

// stepper is a listener's sleep that hands each wait to the test and goes
// on when the test resumes it, so that the test changes the proxy between
// two attempts and no one sleeps.
type stepper struct {
	waits chan time.Duration
	goOn  chan struct{}
}

func newStepper() *stepper {
	return &stepper{waits: make(chan time.Duration), goOn: make(chan struct{})}
}

func (s *stepper) sleep(ctx context.Context, d time.Duration) error {
	select {
	case s.waits <- d:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-s.goOn:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the listener's next wait, leaving it waiting until resume,
// or fails the test after 30s.
func (s *stepper) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-s.waits:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not try again within 30s")
		return 0
	}
}

// resume ends the wait next returned.
func (s *stepper) resume() { s.goOn <- struct{}{} }

// logRecords is a slog.Handler that keeps the levels of the records logged.
type logRecords struct {
	mu   sync.Mutex
	list []slog.Level
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = append(h.list, r.Level)
	return nil
}

func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecords) WithGroup(string) slog.Handler      { return h }

func (h *logRecords) levels() []slog.Level {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.list)
}
