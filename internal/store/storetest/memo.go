package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

func init() {
	register("tx/read-memo", testReadMemo)
	register("tx/read-memo-requests", testReadMemoRequests)
	register("tx/read-memo-request-batch", testReadMemoRequestBatch)
	register("tx/read-memo-locked-execution", testReadMemoLockedExecution)
	register("tx/read-memo-held-executions", testReadMemoHeldExecutions)
	register("tx/read-memo-users-platforms", testReadMemoUsersPlatforms)
	register("tx/read-memo-subscriptions", testReadMemoSubscriptions)
}

// testReadMemo: a transaction that reads an account, a database or a table
// again after changing it sees the change, whichever write made it (a
// savepoint's rollback included), and changing what a read returned changes
// nothing the next read returns.
func testReadMemo(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", "")); err != nil {
			return err
		}
		if err := tx.CreateDatabase(ctx, &mesh.Database{Name: "sales", Parameters: map[string]string{mesh.ParamPIIFlag: "false"}}); err != nil {
			return err
		}
		return tx.CreateTables(ctx, "sales", []*mesh.Table{sampleTable("sales", "orders", false), sampleTable("sales", "refunds", false)})
	})
	account := func(tx store.Tx) string {
		t.Helper()
		a, err := tx.FindAccountByID(ctx, "111122223333")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return "gone"
		}
		if err != nil {
			t.Fatalf("find account: %v", err)
		}
		return a.Name
	}
	database := func(tx store.Tx) *mesh.Database {
		t.Helper()
		d, err := tx.FindDatabase(ctx, "sales")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil
		}
		if err != nil {
			t.Fatalf("find database: %v", err)
		}
		return d
	}
	table := func(tx store.Tx, name string) *mesh.Table {
		t.Helper()
		tb, err := tx.FindTable(ctx, "sales", name)
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return nil
		}
		if err != nil {
			t.Fatalf("find table: %v", err)
		}
		return tb
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		// what a read returned is the caller's own
		d := database(tx)
		d.Parameters[mesh.ParamPIIFlag] = "true"
		d.Description = "changed in memory"
		if d := database(tx); d.Parameters[mesh.ParamPIIFlag] != "false" || d.Description != "" {
			t.Errorf("database after changing a read copy: %+v, want the stored one", d)
		}
		tb := table(tx, "orders")
		tb.Columns[0].Parameters = map[string]string{mesh.ParamPIIFlag: "true"}
		tb.Parameters[mesh.ParamPIIFlag] = "true"
		if tb := table(tx, "orders"); tb.PII() || tb.Columns[0].PII() {
			t.Errorf("table after changing a read copy: %+v, want the stored one", tb)
		}
		a, _ := tx.FindAccountByID(ctx, "111122223333")
		a.Name = "changed in memory"
		if got := account(tx); got != "Sales" {
			t.Errorf("account after changing a read copy: %q, want Sales", got)
		}

		// writes in the transaction show in its next read
		upd := identityAccount("111122223333", "Sales EU", "")
		if err := tx.UpdateAccount(ctx, upd); err != nil {
			return err
		}
		if got := account(tx); got != "Sales EU" {
			t.Errorf("account after UpdateAccount: %q, want Sales EU", got)
		}
		d = database(tx)
		d.Description = "the sales data product"
		if err := tx.UpdateDatabase(ctx, d, d.Version); err != nil {
			return err
		}
		if got := database(tx); got.Description != "the sales data product" {
			t.Errorf("database after UpdateDatabase: description %q", got.Description)
		}
		tb = table(tx, "orders")
		tb.Description = "every order"
		if err := tx.UpdateTable(ctx, tb, tb.Version); err != nil {
			return err
		}
		if got := table(tx, "orders"); got.Description != "every order" {
			t.Errorf("table after UpdateTable: description %q", got.Description)
		}
		if err := tx.DeleteTable(ctx, "sales", "orders"); err != nil {
			return err
		}
		if got := table(tx, "orders"); got != nil {
			t.Errorf("table after DeleteTable: %+v, want none", got)
		}

		// a savepoint's rollback takes back what the reads since saw
		if err := tx.Savepoint(ctx, "memo"); err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, identityAccount("111122223333", "Sales APAC", "")); err != nil {
			return err
		}
		if got := account(tx); got != "Sales APAC" {
			t.Errorf("account inside the savepoint: %q, want Sales APAC", got)
		}
		if err := tx.RollbackToSavepoint(ctx, "memo"); err != nil {
			return err
		}
		if got := account(tx); got != "Sales EU" {
			t.Errorf("account after rolling back the savepoint: %q, want Sales EU", got)
		}

		// deleting the database takes its tables with it
		if table(tx, "refunds") == nil {
			t.Fatal("table refunds: missing before the database's delete")
		}
		if err := tx.DeleteDatabase(ctx, "sales"); err != nil {
			return err
		}
		if got := database(tx); got != nil {
			t.Errorf("database after DeleteDatabase: %+v, want none", got)
		}
		if got := table(tx, "refunds"); got != nil {
			t.Errorf("table refunds after its database's delete: %+v, want none", got)
		}
		if err := tx.DeleteAccount(ctx, "111122223333"); err != nil {
			return err
		}
		if got := account(tx); got != "gone" {
			t.Errorf("account after DeleteAccount: %q, want gone", got)
		}
		return nil
	})
}

// testReadMemoUsersPlatforms: a transaction that reads a user or the
// platform of a database again after changing it sees the change (a
// savepoint's rollback and a cascade included), and changing what a read
// returned changes nothing the next read returns.
func testReadMemoUsersPlatforms(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, identityAccount("111122223333", "Sales", "")); err != nil {
			return err
		}
		u := identityUser("111122223333", "bob", mesh.RoleMember)
		u.Email = "bob@example.com"
		return tx.CreateUser(ctx, u, "hash")
	})
	email := func(tx store.Tx) string {
		t.Helper()
		u, hash, err := tx.FindUserByUsername(ctx, "bob")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return "gone"
		}
		if err != nil || hash != "hash" {
			t.Fatalf("find user: %v (hash %q)", err, hash)
		}
		return u.Email
	}
	platform := func(tx store.Tx) int64 {
		t.Helper()
		id, err := tx.FindPlatformOfDatabase(ctx, "sales")
		if mesh.IsCode(err, mesh.ENOTFOUND) {
			return 0
		}
		if err != nil {
			t.Fatalf("find platform: %v", err)
		}
		return id
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		u, _, err := tx.FindUserByUsername(ctx, "bob")
		if err != nil {
			return err
		}
		u.Roles[0], u.Email = "changed in memory", "changed in memory"
		if again, _, _ := tx.FindUserByUsername(ctx, "bob"); again.Roles[0] != mesh.RoleMember || again.Email != "bob@example.com" {
			t.Errorf("user after changing a read copy: %+v, want the stored one", again)
		}

		u.Roles, u.Email = []string{mesh.RoleMember}, "robert@example.com"
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if got := email(tx); got != "robert@example.com" {
			t.Errorf("user after UpdateUser: %q, want robert@example.com", got)
		}
		if err := tx.Savepoint(ctx, "memo"); err != nil {
			return err
		}
		u.Email = "bobby@example.com"
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if got := email(tx); got != "bobby@example.com" {
			t.Errorf("user inside the savepoint: %q, want bobby@example.com", got)
		}
		if err := tx.RollbackToSavepoint(ctx, "memo"); err != nil {
			return err
		}
		if got := email(tx); got != "robert@example.com" {
			t.Errorf("user after rolling back the savepoint: %q, want robert@example.com", got)
		}

		if got := platform(tx); got != 0 {
			t.Errorf("platform of sales before any: %d, want none", got)
		}
		if err := tx.PutPlatformObject(ctx, store.PlatformObject{PlatformID: 7, Database: "sales", NativeSchema: "sales"}); err != nil {
			return err
		}
		if got := platform(tx); got != 7 {
			t.Errorf("platform of sales after PutPlatformObject: %d, want 7", got)
		}
		if err := tx.DeletePlatformObject(ctx, "sales", "", ""); err != nil {
			return err
		}
		if got := platform(tx); got != 0 {
			t.Errorf("platform of sales after DeletePlatformObject: %d, want none", got)
		}

		// deleting the account takes its users with it
		if err := tx.DeleteAccount(ctx, "111122223333"); err != nil {
			return err
		}
		if got := email(tx); got != "gone" {
			t.Errorf("user after its account's delete: %q, want gone", got)
		}
		return nil
	})
}

// testReadMemoRequests: within the transaction that writes a request, a
// read returns exactly what a read after the commit does (times in UTC to
// the store's precision, whole-second durations), whether the request was
// inserted, updated or read; a refused update and a savepoint's rollback
// leave what is stored.
func testReadMemoRequests(t *testing.T, open Opener) {
	s := openWithTargets(t, open)
	ctx := context.Background()
	// nanoseconds and a zone the stores do not keep
	zone := time.FixedZone("UTC+2", 2*60*60)
	now := time.Date(2026, 3, 4, 5, 6, 7, 123456789, zone)
	var inTx []*mesh.AccessRequest
	snapshot := func(tx store.Tx, id int64, execution string) {
		t.Helper()
		r, err := tx.FindAccessRequest(ctx, id)
		if err != nil {
			t.Fatalf("find request %d: %v", id, err)
		}
		byExec, err := tx.FindAccessRequestByExecution(ctx, execution)
		if err != nil {
			t.Fatalf("find request of %s: %v", execution, err)
		}
		if !reflect.DeepEqual(r, byExec) {
			t.Errorf("by id and by execution differ:\n%+v\n%+v", r, byExec)
		}
		inTx = append(inTx, r)
	}
	var id int64
	var execution string
	mustUpdate(t, s, func(tx store.Tx) error {
		r := sampleRequest("ann", "222233334444", "sales", "orders", now)
		r.Duration = mesh.Duration(90*time.Minute + 1500*time.Millisecond)
		r.Decision = &mesh.RequestDecision{} // nobody decided yet
		if ok, err := tx.InsertAccessRequest(ctx, r); err != nil || !ok {
			t.Fatalf("insert: %v, %v", ok, err)
		}
		id, execution = r.ID, r.ExecutionID
		snapshot(tx, id, execution)
		return nil
	})
	var after []*mesh.AccessRequest
	read := func() {
		t.Helper()
		mustView(t, s, func(tx store.Tx) error {
			r, err := tx.FindAccessRequest(ctx, id)
			after = append(after, r)
			return err
		})
	}
	read()

	mustUpdate(t, s, func(tx store.Tx) error {
		r, err := tx.FindAccessRequest(ctx, id)
		if err != nil {
			return err
		}
		r.Justification = "changed in memory" // not a field an update writes
		r.Status, r.PIIColumns = mesh.RequestShared, nil
		r.Decision = &mesh.RequestDecision{By: "111122223333/olga", At: now.Add(time.Nanosecond), Comment: "ok", Channel: "api", Approved: true}
		r.ExpiresAt, r.UpdatedAt, r.GrantID, r.ShareID = now.Add(48*time.Hour+time.Nanosecond), now.Add(time.Second), 7, 9
		if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestSubmitted); err != nil {
			return err
		}
		snapshot(tx, id, execution)
		// a refused update changes nothing
		stale := *r
		stale.Status = mesh.RequestCancelled
		if err := tx.UpdateAccessRequest(ctx, &stale, mesh.RequestSubmitted); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("update from a status it no longer has: got %v, want ECONFLICT", err)
		}
		// what a savepoint's rollback undoes is not read back
		if err := tx.Savepoint(ctx, "req"); err != nil {
			return err
		}
		revoked := *r
		revoked.Status, revoked.EndedBy = mesh.RequestRevoked, "111122223333/olga"
		if err := tx.UpdateAccessRequest(ctx, &revoked, mesh.RequestShared); err != nil {
			return err
		}
		if err := tx.RollbackToSavepoint(ctx, "req"); err != nil {
			return err
		}
		snapshot(tx, id, execution)
		return nil
	})
	read()
	want := []*mesh.AccessRequest{after[0], after[1], after[1]}
	for i := range want {
		if !reflect.DeepEqual(inTx[i], want[i]) {
			t.Errorf("read %d in the writing transaction:\n%+v\nwant what a later read returns:\n%+v", i, inTx[i], want[i])
		}
	}
	if after[1].Justification != "quarterly report" || after[1].Status != mesh.RequestShared {
		t.Errorf("stored after the updates: %+v", after[1])
	}
}

// testReadMemoRequestBatch: a transaction that writes several requests in
// turn, as a batch of starts does (each inserted, then each updated, one of
// them twice, one update refused), reads each back as a later transaction
// does, by id and by execution.
func testReadMemoRequestBatch(t *testing.T, open Opener) {
	s := openWithTargets(t, open)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	tables := []string{"orders", "refunds", "customers"}
	ids := make([]int64, len(tables))
	inTx := map[int64]*mesh.AccessRequest{}
	readAll := func(tx store.Tx, into map[int64]*mesh.AccessRequest) {
		t.Helper()
		for _, id := range ids {
			r, err := tx.FindAccessRequest(ctx, id)
			if err != nil {
				t.Fatalf("find request %d: %v", id, err)
			}
			byExec, err := tx.FindAccessRequestByExecution(ctx, r.ExecutionID)
			if err != nil {
				t.Fatalf("find request of %s: %v", r.ExecutionID, err)
			}
			if !reflect.DeepEqual(r, byExec) {
				t.Errorf("request %d by id and by execution differ:\n%+v\n%+v", id, r, byExec)
			}
			into[id] = r
		}
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		reqs := make([]*mesh.AccessRequest, len(tables))
		for i, table := range tables {
			reqs[i] = sampleRequest("ann", "222233334444", "sales", table, now)
			if ok, err := tx.InsertAccessRequest(ctx, reqs[i]); err != nil || !ok {
				t.Fatalf("insert %s: %v, %v", table, ok, err)
			}
			ids[i] = reqs[i].ID
		}
		for i, r := range reqs {
			r.Status, r.GrantID, r.UpdatedAt = mesh.RequestShared, int64(10+i), now.Add(time.Duration(i+1)*time.Second)
			if err := tx.UpdateAccessRequest(ctx, r, mesh.RequestSubmitted); err != nil {
				return err
			}
		}
		stale := *reqs[0]
		stale.Status = mesh.RequestCancelled
		if err := tx.UpdateAccessRequest(ctx, &stale, mesh.RequestSubmitted); !mesh.IsCode(err, mesh.ECONFLICT) {
			t.Errorf("update from a status it no longer has: got %v, want ECONFLICT", err)
		}
		reqs[1].Status, reqs[1].EndedBy = mesh.RequestRevoked, "111122223333/olga"
		if err := tx.UpdateAccessRequest(ctx, reqs[1], mesh.RequestShared); err != nil {
			return err
		}
		readAll(tx, inTx)
		return nil
	})
	after := map[int64]*mesh.AccessRequest{}
	mustView(t, s, func(tx store.Tx) error {
		readAll(tx, after)
		return nil
	})
	for i, id := range ids {
		if !reflect.DeepEqual(inTx[id], after[id]) {
			t.Errorf("%s read in the writing transaction:\n%+v\nwant what a later read returns:\n%+v", tables[i], inTx[id], after[id])
		}
	}
	if after[ids[1]].Status != mesh.RequestRevoked || after[ids[2]].GrantID != 12 {
		t.Errorf("stored after the updates: %+v, %+v", after[ids[1]], after[ids[2]])
	}
}

// testReadMemoLockedExecution: locking an execution again in a transaction
// returns it as it is: after the transaction's own update of it and after
// a rollback to a savepoint, what is stored; changing what a lock returned
// changes nothing the next one returns.
func testReadMemoLockedExecution(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		_, err := tx.InsertExecutions(ctx, []*store.ExecutionRecord{{Execution: mesh.Execution{ID: "e1", Name: "one", StateMachine: "flow",
			Version: 1, Status: mesh.ExecutionRunning, Input: json.RawMessage(`{"a":1}`), StartedAt: now, Deadline: now.Add(time.Hour)},
			State: []byte(`{"step":1}`)}})
		return err
	})
	lock := func(tx store.Tx) *store.ExecutionRecord {
		t.Helper()
		x, err := tx.LockExecution(ctx, "e1")
		if err != nil {
			t.Fatalf("lock: %v", err)
		}
		return x
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		x := lock(tx)
		x.Status, x.State[0] = mesh.ExecutionFailed, 'X'
		if x := lock(tx); x.Status != mesh.ExecutionRunning || string(x.State) != `{"step":1}` {
			t.Errorf("locked again after changing a copy: %s %s, want RUNNING {\"step\":1}", x.Status, x.State)
		}
		x = lock(tx)
		x.Status, x.Output, x.StoppedAt, x.State = mesh.ExecutionSucceeded, json.RawMessage(`"done"`), now, []byte(`{"step":2}`)
		if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x}); err != nil {
			return err
		}
		if x := lock(tx); x.Status != mesh.ExecutionSucceeded || string(x.State) != `{"step":2}` || string(x.Output) != `"done"` {
			t.Errorf("locked again after its update: %s %s %s, want SUCCEEDED {\"step\":2} \"done\"", x.Status, x.State, x.Output)
		}
		if err := tx.Savepoint(ctx, "sp"); err != nil {
			return err
		}
		x = lock(tx)
		x.Status, x.State = mesh.ExecutionFailed, []byte(`{"step":3}`)
		if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x}); err != nil {
			return err
		}
		if x := lock(tx); x.Status != mesh.ExecutionFailed {
			t.Errorf("locked again after an update in a savepoint: %s, want FAILED", x.Status)
		}
		if err := tx.RollbackToSavepoint(ctx, "sp"); err != nil {
			return err
		}
		if x := lock(tx); x.Status != mesh.ExecutionSucceeded || string(x.State) != `{"step":2}` {
			t.Errorf("locked again after the savepoint's rollback: %s %s, want SUCCEEDED {\"step\":2}", x.Status, x.State)
		}
		return nil
	})
}

// testReadMemoHeldExecutions: a transaction holding several executions
// locked that updates one of them locks each again as it is: the updated
// one as updated, the others as they were; it holds them all until a
// rollback to a savepoint, after which it cannot tell.
func testReadMemoHeldExecutions(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mustUpdate(t, s, func(tx store.Tx) error {
		var es []*store.ExecutionRecord
		for _, id := range []string{"e1", "e2"} {
			es = append(es, &store.ExecutionRecord{Execution: mesh.Execution{ID: id, Name: id, StateMachine: "flow",
				Version: 1, Status: mesh.ExecutionRunning, Input: json.RawMessage(`{}`), StartedAt: now, Deadline: now.Add(time.Hour)},
				State: []byte(`{"step":1}`)})
		}
		_, err := tx.InsertExecutions(ctx, es)
		return err
	})
	mustUpdate(t, s, func(tx store.Tx) error {
		if tx.HoldsExecution("e1") {
			t.Error("e1 held before any lock")
		}
		x1, err := tx.LockExecution(ctx, "e1")
		if err != nil {
			return err
		}
		if _, err := tx.LockExecution(ctx, "e2"); err != nil {
			return err
		}
		if !tx.HoldsExecution("e1") || !tx.HoldsExecution("e2") {
			t.Error("e1 and e2 locked, not both held")
		}
		x1.Status, x1.State = mesh.ExecutionSucceeded, []byte(`{"step":2}`)
		if err := tx.UpdateExecutions(ctx, []*store.ExecutionRecord{x1}); err != nil {
			return err
		}
		if !tx.HoldsExecution("e1") {
			t.Error("e1 no longer held after its update")
		}
		if x, err := tx.LockExecution(ctx, "e1"); err != nil || x.Status != mesh.ExecutionSucceeded || string(x.State) != `{"step":2}` {
			t.Errorf("e1 locked again after its update: %+v, %v; want SUCCEEDED {\"step\":2}", x, err)
		}
		if x, err := tx.LockExecution(ctx, "e2"); err != nil || x.Status != mesh.ExecutionRunning || string(x.State) != `{"step":1}` {
			t.Errorf("e2 locked again after e1's update: %+v, %v; want RUNNING {\"step\":1}", x, err)
		}
		if err := tx.Savepoint(ctx, "sp"); err != nil {
			return err
		}
		if err := tx.RollbackToSavepoint(ctx, "sp"); err != nil {
			return err
		}
		if tx.HoldsExecution("e2") {
			t.Error("e2 still said to be held after a rollback to a savepoint")
		}
		if x, err := tx.LockExecution(ctx, "e2"); err != nil || x.Status != mesh.ExecutionRunning {
			t.Errorf("e2 locked after the rollback: %+v, %v; want RUNNING", x, err)
		}
		return nil
	})
}

// testReadMemoSubscriptions: a transaction that lists a topic's
// subscriptions again after changing one, adding one, or deleting the
// topic sees the change, and changing what a listing returned changes
// nothing the next one returns.
func testReadMemoSubscriptions(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	top, sub := notifyFixture(t, s)
	list := func(tx store.Tx, status string) []*store.Subscription {
		t.Helper()
		subs, err := tx.FindSubscriptions(ctx, "111122223333", status)
		if err != nil {
			t.Fatalf("find subscriptions: %v", err)
		}
		return subs
	}
	endpoints := func(subs []*store.Subscription) []string {
		var out []string
		for _, s := range subs {
			out = append(out, s.Endpoint+" "+s.Status)
		}
		return out
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		subs := list(tx, store.SubscriptionConfirmed)
		if len(subs) != 1 {
			t.Fatalf("confirmed subscriptions: got %v, want one", endpoints(subs))
		}
		subs[0].Endpoint = "https://changed.example.com"
		if got := endpoints(list(tx, store.SubscriptionConfirmed)); !reflect.DeepEqual(got, []string{"https://hooks.example.com/a confirmed"}) {
			t.Errorf("listed again after changing a copy: %v", got)
		}
		if err := tx.UpdateSubscriptionStatus(ctx, sub.ID, store.SubscriptionUnsubscribed, notifyT0); err != nil {
			return err
		}
		if got := list(tx, store.SubscriptionConfirmed); len(got) != 0 {
			t.Errorf("listed after unsubscribing: %v, want none", endpoints(got))
		}
		added := &store.Subscription{AccountID: "111122223333", TopicID: top.ID, Protocol: "email", Endpoint: "ops@example.com",
			Status: store.SubscriptionConfirmed, CreatedAt: notifyT0, ConfirmedAt: notifyT0}
		if err := tx.CreateSubscription(ctx, added); err != nil {
			return err
		}
		if got := endpoints(list(tx, store.SubscriptionConfirmed)); !reflect.DeepEqual(got, []string{"ops@example.com confirmed"}) {
			t.Errorf("listed after adding one: %v", got)
		}
		if err := tx.MarkTopicDeleted(ctx, "111122223333", notifyT0); err != nil {
			return err
		}
		if got := list(tx, store.SubscriptionConfirmed); len(got) != 0 {
			t.Errorf("listed after deleting the topic: %v, want none", endpoints(got))
		}
		return nil
	})
}
