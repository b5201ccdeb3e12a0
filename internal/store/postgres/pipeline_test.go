package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/postgres"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// trips counts round trips to the server: statements sent alone and
// batches (a batch's statements go together).
type trips struct{ n atomic.Int64 }

func (c *trips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *trips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *trips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *trips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *trips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// statements records the statements sent alone.
type statements struct {
	mu  sync.Mutex
	sql []string
}

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	c.sql = append(c.sql, d.SQL)
	c.mu.Unlock()
	return ctx
}
func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.mu.Lock()
	c.sql = append(c.sql, d.SQL)
	c.mu.Unlock()
}
func (c *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// openTraced opens a store in a schema of its own whose round trips tr
// counts; both end with the test.
func openTraced(t *testing.T) (*postgres.DB, *trips) {
	t.Helper()
	tr := &trips{}
	return openWithTracer(t, tr), tr
}

// openStatements opens a store in a schema of its own whose statements tr
// records; both end with the test.
func openStatements(t *testing.T) (*postgres.DB, *statements) {
	t.Helper()
	tr := &statements{}
	return openWithTracer(t, tr), tr
}

func openWithTracer(t *testing.T, tr pgx.QueryTracer) *postgres.DB {
	t.Helper()
	db, err := postgres.OpenTraced(context.Background(), storetest.PostgresSchemaURL(t), postgres.Options{}, tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSavepointsRideAlong: a savepoint and its release cost no round trip
// of their own; they go with the next statement, and one left open at the
// commit is never sent.
func TestSavepointsRideAlong(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	run := func(savepoints bool) int64 {
		t.Helper()
		sp := func(tx store.Tx, f func(context.Context, string) error) error {
			if !savepoints {
				return nil
			}
			return f(ctx, "task")
		}
		before := tr.n.Load()
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := sp(tx, tx.Savepoint); err != nil {
				return err
			}
			if err := tx.PutSetting(ctx, "k", "v"); err != nil {
				return err
			}
			if err := sp(tx, tx.ReleaseSavepoint); err != nil {
				return err
			}
			if v, err := tx.Setting(ctx, "k"); err != nil || v != "v" {
				t.Errorf("setting: got %q %v", v, err)
			}
			return sp(tx, tx.Savepoint)
		})
		if err != nil {
			t.Fatal(err)
		}
		return tr.n.Load() - before
	}
	run(true) // statements prepared
	run(false)
	without, with := run(false), run(true)
	if with != without {
		t.Errorf("round trips: %d with savepoints, %d without; want the same", with, without)
	}
}

// TestGrantLockKeepsMemo: share-locking a grant keeps the read memo, unlike
// other locking statements: an account read before it is not read again.
func TestGrantLockKeepsMemo(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now()
	r := mesh.Resource{Database: "sales", Table: "orders"}
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "222233334444", Name: "Analytics", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateGrant(ctx, &mesh.Grant{Principal: "222233334444", Resource: r, Permissions: mesh.PermissionsOf(mesh.PermSelect),
			Status: mesh.GrantActive, GrantedBy: "central/admin", CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindAccountByID(ctx, "222233334444"); err != nil {
			return err
		}
		if _, err := tx.LockGrantByResource(ctx, "222233334444", r, ""); err != nil {
			return err
		}
		before := tr.n.Load()
		if _, err := tx.FindAccountByID(ctx, "222233334444"); err != nil {
			return err
		}
		if n := tr.n.Load() - before; n != 0 {
			t.Errorf("reading the account again after locking the grant: %d round trips, want 0 (memoized)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLockedExecutionNotReadAgain: locking an execution the transaction
// holds locked already costs no round trip, until the transaction writes
// to executions.
func TestLockedExecutionNotReadAgain(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.InsertExecutions(ctx, []*store.ExecutionRecord{{Execution: mesh.Execution{ID: "e1", Name: "one", StateMachine: "flow",
			Version: 1, Status: mesh.ExecutionRunning, Input: []byte(`{}`), StartedAt: now, Deadline: now.Add(time.Hour)}, State: []byte(`{}`)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		lock := func() int64 {
			t.Helper()
			before := tr.n.Load()
			if _, err := tx.LockExecution(ctx, "e1"); err != nil {
				t.Fatal(err)
			}
			return tr.n.Load() - before
		}
		if n := lock(); n != 1 {
			t.Errorf("first lock: %d round trips, want 1", n)
		}
		if n := lock(); n != 0 {
			t.Errorf("second lock: %d round trips, want 0", n)
		}
		x, _ := tx.LockExecution(ctx, "e1")
		x.Status = mesh.ExecutionSucceeded
		if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x}); err != nil {
			return err
		}
		if n := lock(); n != 1 {
			t.Errorf("lock after the update: %d round trips, want 1 (read again)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUserAndPlatformReadOnce: a transaction reads a user, and the platform
// of a database (none, as most have), once: each request of a batch of
// starts reads its requester for its notice and its database's platform for
// its grant.
func TestUserAndPlatformReadOnce(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "222233334444", Name: "Analytics", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &mesh.User{AccountID: "222233334444", Username: "ann", Roles: []string{mesh.RoleMember}, CreatedAt: now, UpdatedAt: now}, "h")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		before := tr.n.Load()
		for range 3 {
			if _, _, err := tx.FindUserByUsername(ctx, "ann"); err != nil {
				return err
			}
			if _, err := tx.FindPlatformOfDatabase(ctx, "sales"); !mesh.IsCode(err, mesh.ENOTFOUND) {
				t.Errorf("platform of sales: got %v, want not found", err)
			}
		}
		if n := tr.n.Load() - before; n != 2 {
			t.Errorf("reading the user and the platform three times: %d round trips, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAccessChangesOneTrip: a replica's refresh, which runs at every
// access change of another replica, reads the version and the changes in
// one round trip.
func TestAccessChangesOneTrip(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	err := db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.BumpAccessVersion(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		before := tr.n.Load()
		c, err := store.FindAccessChanges(ctx, tx, 0, 100)
		if err != nil {
			return err
		}
		if n := tr.n.Load() - before; n != 1 || c.Version != 1 {
			t.Errorf("got version %d in %d round trips, want 1 in 1", c.Version, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestShareLinkedOneTrip: a new active share and its link cost one round
// trip.
func TestShareLinkedOneTrip(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	err := db.Update(ctx, func(tx store.Tx) error {
		before := tr.n.Load()
		now := time.Now()
		sh := &mesh.Share{AccountID: "222233334444", Database: "sales", Status: mesh.ShareActive, CreatedAt: now, UpdatedAt: now}
		l := &mesh.ResourceLink{Name: "sales", CreatedAt: now}
		if err := store.CreateShareLinked(ctx, tx, sh, l); err != nil {
			return err
		}
		if n := tr.n.Load() - before; n != 1 || l.ID == 0 || l.ShareID != sh.ID {
			t.Errorf("got link %+v of share %d in %d round trips, want made in 1", l, sh.ID, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAddingRefusesDeletes: a transaction that took the access version only
// to add cannot delete a grant or link or record an owner: its version
// comes at its commit, and a tombstone or owner change needs one now.
func TestAddingRefusesDeletes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTraced(t)
	for name, fn := range map[string]func(tx store.Tx) error{
		"delete grant": func(tx store.Tx) error { return tx.DeleteGrant(ctx, 1) },
		"delete link":  func(tx store.Tx) error { return tx.DeleteResourceLink(ctx, 1) },
		"record owner": func(tx store.Tx) error { return tx.RecordOwnerChange(ctx, "sales", "111122223333") },
	} {
		err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.AddAccessVersion(ctx); err != nil {
				return err
			}
			return fn(tx)
		})
		if err == nil || !strings.Contains(err.Error(), "only adds access") {
			t.Errorf("%s after adding: got %v, want refused", name, err)
		}
	}
}

// TestWritesRideAlong: a notification's insert, and the status update of a
// request the transaction inserted itself, cost no round trip of their
// own: they go with the next statement, or with the commit, and are
// committed; a savepoint's rollback undoes them. An update of a request the
// transaction did not insert goes at once, as it may find another status.
func TestWritesRideAlong(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now().UTC().Truncate(time.Second)
	newRequest := func(table string) *mesh.AccessRequest {
		return &mesh.AccessRequest{RequesterAccount: "222233334444", RequesterUser: "ann", TargetAccount: "222233334444",
			Database: "sales", Table: table, OwnerAccount: "111122223333", Permissions: mesh.PermissionsOf(mesh.PermSelect),
			Justification: "report", Status: mesh.RequestSubmitted, ExecutionID: "x-" + table, StateMachine: "data-sharing",
			StateMachineVersion: 1, CreatedAt: now, UpdatedAt: now}
	}
	notification := func(r *mesh.AccessRequest, event string) *mesh.Notification {
		return &mesh.Notification{AccountID: r.TargetAccount, Recipient: "222233334444/ann", Event: event, RequestID: r.ID,
			Subject: "s", Body: "b", CreatedAt: now}
	}
	var kept, undone *mesh.AccessRequest
	err := db.Update(ctx, func(tx store.Tx) error {
		return tx.CreateAccount(ctx, &mesh.Account{ID: "222233334444", Name: "Marketing", Email: "m@example.com", CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		kept = newRequest("orders")
		if ok, err := tx.InsertAccessRequest(ctx, kept); err != nil || !ok {
			t.Fatalf("insert: %v %v", ok, err)
		}
		before := tr.n.Load()
		shared := *kept
		shared.Status, shared.GrantID, shared.UpdatedAt = mesh.RequestShared, 7, now.Add(time.Second)
		if err := tx.UpdateAccessRequest(ctx, &shared, mesh.RequestSubmitted); err != nil {
			return err
		}
		if err := tx.InsertNotification(ctx, notification(kept, "request.shared")); err != nil {
			return err
		}
		if n := tr.n.Load() - before; n != 0 {
			t.Errorf("status update and notification: %d round trips, want none", n)
		}
		// the next statement carries them, and sees them
		ns, err := tx.FindNotifications(ctx, store.NotificationFilter{RequestID: kept.ID})
		if err != nil || len(ns) != 1 {
			t.Errorf("notifications read after the insert: got %d, %v; want 1", len(ns), err)
		}
		if n := tr.n.Load() - before; n != 1 {
			t.Errorf("with the read: %d round trips, want 1", n)
		}

		// undone by a savepoint's rollback, with the request they follow
		if err := tx.Savepoint(ctx, "task"); err != nil {
			return err
		}
		undone = newRequest("customers")
		if ok, err := tx.InsertAccessRequest(ctx, undone); err != nil || !ok {
			t.Fatalf("insert: %v %v", ok, err)
		}
		pending := *undone
		pending.Status = mesh.RequestPendingApproval
		if err := tx.UpdateAccessRequest(ctx, &pending, mesh.RequestSubmitted); err != nil {
			return err
		}
		if err := tx.InsertNotification(ctx, notification(undone, "approval.requested")); err != nil {
			return err
		}
		if err := tx.RollbackToSavepoint(ctx, "task"); err != nil {
			return err
		}
		// left last, for the commit to send
		return tx.InsertNotification(ctx, notification(kept, "request.expiring"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		if r, err := tx.FindAccessRequest(ctx, kept.ID); err != nil || r.Status != mesh.RequestShared {
			t.Errorf("committed request: got %+v, %v; want SHARED", r, err)
		}
		if _, err := tx.FindAccessRequest(ctx, undone.ID); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("rolled-back request: got %v, want not found", err)
		}
		ns, err := tx.FindNotifications(ctx, store.NotificationFilter{})
		var events []string
		for _, n := range ns {
			events = append(events, n.Event)
		}
		if err != nil || strings.Join(events, " ") != "request.shared request.expiring" {
			t.Errorf("notifications: got %v, %v; want the shared and the expiring, not the rolled-back one", events, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// a request this transaction did not insert: the update goes at once,
	// and finds the status changed
	err = db.Update(ctx, func(tx store.Tx) error {
		stale := *kept
		stale.Status = mesh.RequestCancelled
		before := tr.n.Load()
		err := tx.UpdateAccessRequest(ctx, &stale, mesh.RequestSubmitted)
		if !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("update from a stale status: got %v, want conflict", err)
		}
		if n := tr.n.Load() - before; n == 0 {
			t.Error("an update of a request read, not inserted, was deferred")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRequestReadsAccount: inserting a request reads its target account in
// the same round trip, and memoizes it, keeping what the memo held (an
// account read before); an unknown account stores nothing.
func TestRequestReadsAccount(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now().UTC().Truncate(time.Second)
	err := db.Update(ctx, func(tx store.Tx) error {
		for _, a := range []*mesh.Account{{ID: "111122223333", Name: "Sales"}, {ID: "222233334444", Name: "Marketing"}} {
			a.Email, a.CreatedAt, a.UpdatedAt = "a@example.com", now, now
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindAccountByID(ctx, "111122223333"); err != nil {
			return err
		}
		for _, target := range []string{"999988887777", "222233334444"} {
			r := &mesh.AccessRequest{RequesterAccount: target, RequesterUser: "ann", TargetAccount: target,
				Database: "sales", Table: "orders", OwnerAccount: "111122223333", Permissions: mesh.PermissionsOf(mesh.PermSelect),
				Justification: "report", Status: mesh.RequestSubmitted, ExecutionID: "x-" + target, StateMachine: "data-sharing",
				StateMachineVersion: 1, CreatedAt: now, UpdatedAt: now}
			before := tr.n.Load()
			ok, err := tx.InsertAccessRequest(ctx, r)
			switch {
			case target == "999988887777" && (ok || !mesh.IsCode(err, mesh.ENOTFOUND)):
				t.Errorf("unknown account: got %v, %v; want not found", ok, err)
			case target == "222233334444" && (!ok || err != nil):
				t.Errorf("insert: got %v, %v", ok, err)
			}
			if target == "222233334444" {
				if a, err := tx.FindAccountByID(ctx, target); err != nil || a.Name != "Marketing" {
					t.Errorf("account after the insert: got %+v, %v", a, err)
				}
			}
			if _, err := tx.FindAccountByID(ctx, "111122223333"); err != nil {
				return err
			}
			if n := tr.n.Load() - before; n != 1 {
				t.Errorf("%s: insert and account read in %d round trips, want 1", target, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBeginAndCommitRideAlong: a transaction's BEGIN goes with its first
// statement and its COMMIT with its audit entries (and its other writes
// that wait for the commit), so a transaction that reads, writes and
// audits costs three round trips, a read-only one reading once two, and
// one that sends nothing none. A transaction that fails after a statement
// leaves nothing, and its connection goes back to the pool usable.
func TestBeginAndCommitRideAlong(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	count := func(name string, want int64, fn func() error) {
		t.Helper()
		fn() // statements prepared
		before := tr.n.Load()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := tr.n.Load() - before; n != want {
			t.Errorf("%s: %d round trips, want %d", name, n, want)
		}
	}
	count("a read, a write and an audit entry", 3, func() error {
		return db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Setting(ctx, "k"); err != nil && !mesh.IsCode(err, mesh.ENOTFOUND) {
				return err
			}
			if err := tx.PutSetting(ctx, "k", "v"); err != nil {
				return err
			}
			return tx.InsertAudit(ctx, &mesh.AuditEntry{Time: time.Now(), Principal: "system", Action: "setting.put", Resource: "setting/k", Result: "ok"})
		})
	})
	count("a read", 2, func() error {
		return db.View(ctx, func(tx store.Tx) error {
			_, err := tx.Setting(ctx, "k")
			return err
		})
	})
	count("nothing", 0, func() error {
		return db.Update(ctx, func(tx store.Tx) error { return nil })
	})

	failed := errors.New("failed")
	for range 2 * 4 { // more than the pool's connections on a 2-core machine
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutSetting(ctx, "k", "lost"); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("got %v, want the function's error", err)
		}
	}
	// a failed statement whose error was dropped: the COMMIT finds the
	// transaction failed and says so
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSetting(ctx, "k", "lost"); err != nil {
			return err
		}
		postgres.ExecUnchecked(ctx, tx, `SELECT 1/0`)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("commit after a failed statement: got %v, want rolled back", err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		if v, err := tx.Setting(ctx, "k"); err != nil || v != "v" {
			t.Errorf("after failed transactions: got %q, %v; want v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHeldExecutionsKeepTheMemo: a transaction holding executions locked
// (a batch of decisions locks them all first) keeps what it read after
// those locks: locking one of them again costs nothing, updating one
// forgets only that one, which is then read again without FOR UPDATE,
// leaving the memo as it was; another lock keeps them too. A rollback to a
// savepoint forgets that they are held.
func TestHeldExecutionsKeepTheMemo(t *testing.T) {
	ctx := context.Background()
	db, tr := openStatements(t)
	now := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "222233334444", Name: "Analytics", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		var es []*store.ExecutionRecord
		for _, id := range []string{"e1", "e2", "e3"} {
			es = append(es, &store.ExecutionRecord{Execution: mesh.Execution{ID: id, Name: id, StateMachine: "flow",
				Version: 1, Status: mesh.ExecutionRunning, Input: []byte(`{}`), StartedAt: now, Deadline: now.Add(time.Hour)}, State: []byte(`{}`)})
		}
		_, err := tx.InsertExecutions(ctx, es)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := func(fn func() error) []string {
		t.Helper()
		tr.mu.Lock()
		before := len(tr.sql)
		tr.mu.Unlock()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return slices.Clone(tr.sql[before:])
	}
	lock := func(tx store.Tx, id string) func() error {
		return func() error { _, err := tx.LockExecution(ctx, id); return err }
	}
	account := func(tx store.Tx) func() error {
		return func() error { _, err := tx.FindAccountByID(ctx, "222233334444"); return err }
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		sent(lock(tx, "e1"))
		sent(lock(tx, "e2"))
		if tx.HoldsExecution("e3") || !tx.HoldsExecution("e1") || !tx.HoldsExecution("e2") {
			t.Error("HoldsExecution: want e1 and e2 held, e3 not")
		}
		sent(account(tx))
		x, err := tx.LockExecution(ctx, "e1")
		if err != nil {
			return err
		}
		x.Status = mesh.ExecutionSucceeded
		if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x}); err != nil {
			return err
		}
		if got := sent(lock(tx, "e2")); len(got) != 0 {
			t.Errorf("locking e2 again after e1's update sent %q, want nothing", got)
		}
		got := sent(lock(tx, "e1"))
		if len(got) != 1 || strings.Contains(got[0], "FOR UPDATE") {
			t.Errorf("locking e1 again after its update sent %q, want one read without FOR UPDATE", got)
		}
		if got := sent(account(tx)); len(got) != 0 {
			t.Errorf("reading the account after the executions' update and read sent %q, want nothing (memoized)", got)
		}
		// another lock forgets the account, not the executions held
		sent(lock(tx, "e3"))
		if got := sent(account(tx)); len(got) != 1 {
			t.Errorf("reading the account after another lock sent %q, want it read again", got)
		}
		if got := sent(lock(tx, "e2")); len(got) != 0 {
			t.Errorf("locking e2 again after another lock sent %q, want nothing", got)
		}
		if err := tx.Savepoint(ctx, "sp"); err != nil {
			return err
		}
		if err := tx.RollbackToSavepoint(ctx, "sp"); err != nil {
			return err
		}
		if tx.HoldsExecution("e1") {
			t.Error("after a rollback to a savepoint, e1 is still said to be held")
		}
		// the savepoint and its rollback may ride along with the lock
		got = sent(lock(tx, "e1"))
		if !slices.ContainsFunc(got, func(q string) bool { return strings.Contains(q, "FOR UPDATE") }) {
			t.Errorf("locking e1 after a rollback to a savepoint sent %q, want a read FOR UPDATE", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSubscriptionsReadOnce: a batch of starts publishing approvals to one
// producer's topic reads its subscriptions once.
func TestSubscriptionsReadOnce(t *testing.T) {
	ctx := context.Background()
	db, tr := openTraced(t)
	now := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		top := &store.Topic{AccountID: "111122223333", Name: "DataLakeSharingApproval", CreatedAt: now}
		if err := tx.CreateTopic(ctx, top); err != nil {
			return err
		}
		return tx.CreateSubscription(ctx, &store.Subscription{AccountID: "111122223333", TopicID: top.ID, Protocol: "email",
			Endpoint: "ops@example.com", Status: store.SubscriptionConfirmed, CreatedAt: now, ConfirmedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		for i := range 3 {
			before := tr.n.Load()
			subs, err := tx.FindSubscriptions(ctx, "111122223333", store.SubscriptionConfirmed)
			if err != nil {
				return err
			}
			if len(subs) != 1 {
				t.Errorf("listing %d: %d subscriptions, want 1", i, len(subs))
			}
			want := int64(0)
			if i == 0 {
				want = 1
			}
			if n := tr.n.Load() - before; n != want {
				t.Errorf("listing %d: %d round trips, want %d", i, n, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInterruptedTransaction: a transaction whose context ends after its
// first write fails and leaves nothing, and the pool's connections work
// after it, however many such transactions ran.
func TestInterruptedTransaction(t *testing.T) {
	db, _ := openTraced(t)
	for range 2 * 4 { // more than the pool's connections on a 2-core machine
		ctx, cancel := context.WithCancel(context.Background())
		err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutSetting(ctx, "interrupted", "written"); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if err == nil {
			t.Fatal("a transaction whose context ended before its commit committed")
		}
	}
	ctx := context.Background()
	err := db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "after", "ok") })
	if err != nil {
		t.Fatalf("a transaction after the interrupted ones: %v", err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		if v, err := tx.Setting(ctx, "interrupted"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("interrupted transactions left %q, %v; want nothing", v, err)
		}
		if v, err := tx.Setting(ctx, "after"); err != nil || v != "ok" {
			t.Errorf("after: got %q, %v; want ok", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPanickingTransaction: a transaction whose function panics is rolled
// back and the panic passed on to the caller; the pool works after it.
func TestPanickingTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := openTraced(t)
	for range 2 * 4 { // more than the pool's connections on a 2-core machine
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Errorf("recovered %v, want the function's panic", p)
				}
			}()
			db.Update(ctx, func(tx store.Tx) error {
				if err := tx.PutSetting(ctx, "panicked", "written"); err != nil {
					return err
				}
				panic("boom")
			})
		}()
	}
	err := db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "after", "ok") })
	if err != nil {
		t.Fatalf("a transaction after the panicking ones: %v", err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		if v, err := tx.Setting(ctx, "panicked"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("panicking transactions left %q, %v; want nothing", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAccessLockForgetsReads: taking the access lock to add empties the
// read memo, as other locks do: the lock may wait for a transaction that
// deletes a database or an account, and what follows it (a grant's checks)
// reads what that transaction committed, not the rows read before.
func TestAccessLockForgetsReads(t *testing.T) {
	ctx := context.Background()
	db, _ := openTraced(t)
	now := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &mesh.Account{ID: "222233334444", Name: "Analytics", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateDatabase(ctx, &mesh.Database{Name: "sales"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.FindDatabase(ctx, "sales"); err != nil {
			return err
		}
		if _, err := tx.FindAccountByID(ctx, "222233334444"); err != nil {
			return err
		}
		// another replica's deletion commits while tx waits for the lock
		err := db.Update(ctx, func(other store.Tx) error {
			if err := other.DeleteDatabase(ctx, "sales"); err != nil {
				return err
			}
			return other.DeleteAccount(ctx, "222233334444")
		})
		if err != nil {
			return err
		}
		if _, err := tx.AddAccessVersion(ctx); err != nil {
			return err
		}
		if _, err := tx.FindDatabase(ctx, "sales"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("database read after the access lock: got %v, want ENOTFOUND (deleted)", err)
		}
		if _, err := tx.FindAccountByID(ctx, "222233334444"); !mesh.IsCode(err, mesh.ENOTFOUND) {
			t.Errorf("account read after the access lock: got %v, want ENOTFOUND (offboarded)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
