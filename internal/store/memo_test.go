package store

import (
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestReadMemoSaw(t *testing.T) {
	tests := []struct {
		query string
		clear bool
	}{
		{"SELECT name FROM accounts WHERE id = ?", false},
		{"  select * from catalog_tables where database_name = $1", false},
		{"INSERT INTO audit_log (time) VALUES (?)", false},
		{"UPDATE grants SET version = version + 1 WHERE account_id = ?", false},
		{"UPDATE accounts SET name = ? WHERE id = ?", true},
		{"DELETE FROM catalog_databases WHERE name = ?", true},
		{"INSERT INTO catalog_tables (name) VALUES ($1) RETURNING id", true},
		{"WITH d AS (SELECT id FROM catalog_databases) UPDATE catalog_tables SET x = 1", true},
		{"INSERT INTO offboarded_accounts (id) VALUES (?)", true}, // a near name: emptying is safe
		{"UPDATE users SET email = ? WHERE id = ?", true},
		{"INSERT INTO platform_objects (platform_id, database) VALUES ($1, $2)", true},
		{"SELECT platform_id FROM platform_objects WHERE database = ?", false},
		{"SELECT 1 FROM accounts WHERE id = $1 FOR SHARE", true},
		{"SELECT * FROM workflow_executions WHERE id = $1 FOR UPDATE", true},
		{"SELECT pg_advisory_xact_lock($1)", true},
	}
	for _, tt := range tests {
		var m ReadMemo
		m.PutAccount(&mesh.Account{ID: "111122223333"})
		m.Saw(tt.query)
		_, kept := m.Account("111122223333")
		if kept == tt.clear {
			t.Errorf("Saw(%q): kept %v, want %v", tt.query, kept, !tt.clear)
		}
	}
}

// TestReadMemoRequestWrite: the store's own write of one request keeps the
// other requests the memo holds, and its accounts even when the statement
// reads the accounts table; any other statement naming the table, or one
// taking a lock, empties them; ForgetRequest forgets one, by id and by
// execution.
func TestReadMemoRequestWrite(t *testing.T) {
	put := func(m *ReadMemo) {
		m.PutRequest(&mesh.AccessRequest{ID: 1, ExecutionID: "e1"})
		m.PutRequest(&mesh.AccessRequest{ID: 2, ExecutionID: "e2"})
		m.PutAccount(&mesh.Account{ID: "111122223333"})
	}
	tests := []struct {
		query string
		write bool // through SawRequestWrite
		kept  bool
	}{
		{"INSERT INTO access_requests (status) VALUES (?) ON CONFLICT DO NOTHING", true, true},
		{"UPDATE access_requests SET status = ? WHERE id = ? AND status = ?", true, true},
		{"UPDATE access_requests SET status = ? WHERE id = ? AND status = ?", false, false},
		{"DELETE FROM access_requests WHERE status = ?", false, false},
		{"SELECT id FROM access_requests WHERE id = $1 FOR UPDATE", true, false},
		// an insert reading its target account in the same statement
		{"WITH a AS (SELECT id FROM accounts WHERE id = $1) INSERT INTO access_requests (target_account) SELECT id FROM a", true, true},
	}
	for _, tt := range tests {
		var m ReadMemo
		put(&m)
		if tt.write {
			m.SawRequestWrite(tt.query)
		} else {
			m.Saw(tt.query)
		}
		_, kept := m.Request(1)
		if kept != tt.kept {
			t.Errorf("write %v, %q: kept %v, want %v", tt.write, tt.query, kept, tt.kept)
		}
		// a request's own write changes no account, whatever it reads
		if _, ok := m.Account("111122223333"); tt.write && ok != tt.kept {
			t.Errorf("write %q: account kept %v, want %v", tt.query, ok, tt.kept)
		}
	}
	var m ReadMemo
	put(&m)
	m.ForgetRequest(1)
	if _, ok := m.Request(1); ok {
		t.Error("forgotten request 1 is still kept by id")
	}
	if _, ok := m.RequestByExecution("e1"); ok {
		t.Error("forgotten request 1 is still kept by execution")
	}
	if _, ok := m.RequestByExecution("e2"); !ok {
		t.Error("request 2 was forgotten with request 1")
	}
}

// TestReadMemoHeldExecutions: the executions a transaction has locked stay
// held, and their rows kept, across another lock; an update of some of them
// forgets only their rows; a rollback to a savepoint (Clear) forgets it all.
func TestReadMemoHeldExecutions(t *testing.T) {
	var m ReadMemo
	m.PutLockedExecution(&ExecutionRecord{Execution: mesh.Execution{ID: "e1"}})
	m.PutLockedExecution(&ExecutionRecord{Execution: mesh.Execution{ID: "e2"}})
	m.PutAccount(&mesh.Account{ID: "111122223333"})
	kept := func(id string) bool { _, ok := m.LockedExecution(id); return ok }

	m.Saw("SELECT * FROM workflow_executions WHERE id = $1 FOR UPDATE")
	if _, ok := m.Account("111122223333"); ok {
		t.Error("an account kept across a lock")
	}
	if !kept("e1") || !kept("e2") || !m.HoldsExecution("e1") || !m.HoldsExecution("e2") {
		t.Error("executions held forgotten across another lock")
	}
	m.SawExecutionsWrite("UPDATE workflow_executions AS x SET status = v.status FROM v WHERE x.id = v.id", []string{"e1"})
	if kept("e1") || !kept("e2") {
		t.Errorf("after e1's update: e1 kept %v, e2 kept %v; want false, true", kept("e1"), kept("e2"))
	}
	if !m.HoldsExecution("e1") {
		t.Error("e1 no longer held after its update")
	}
	m.Saw("INSERT INTO workflow_executions (id) VALUES ($1)")
	if kept("e2") || !m.HoldsExecution("e2") {
		t.Error("another write to executions: want e2's row forgotten and e2 still held")
	}
	m.Clear()
	if m.HoldsExecution("e1") || m.HoldsExecution("e2") {
		t.Error("executions still held after Clear")
	}
	if m.HoldsExecution("e3") {
		t.Error("an execution never locked is held")
	}
}

// TestReadMemoSubscriptions: a topic's subscriptions are kept by account
// and status, as copies, until a write to subscriptions, topics or the
// catalog's accounts, or a lock.
func TestReadMemoSubscriptions(t *testing.T) {
	put := func(m *ReadMemo) {
		m.PutSubscriptions("111122223333", "confirmed", []*Subscription{{ID: 1, Endpoint: "ops@example.com"}})
	}
	var m ReadMemo
	put(&m)
	got, ok := m.Subscriptions("111122223333", "confirmed")
	if !ok || len(got) != 1 || got[0].Endpoint != "ops@example.com" {
		t.Fatalf("got %v, %v", got, ok)
	}
	got[0].Endpoint = "changed"
	if again, _ := m.Subscriptions("111122223333", "confirmed"); again[0].Endpoint != "ops@example.com" {
		t.Error("changing a copy changed the memo")
	}
	if _, ok := m.Subscriptions("111122223333", ""); ok {
		t.Error("kept for another status")
	}
	for _, tt := range []struct {
		query string
		kept  bool
	}{
		{"SELECT s.id FROM notify_subscriptions s JOIN notify_topics t ON t.id = s.topic_id WHERE t.account_id = $1", true},
		{"INSERT INTO notify_deliveries (subscription_id) VALUES ($1)", true},
		{"UPDATE notify_subscriptions SET status = $1 WHERE id = $2", false},
		{"UPDATE notify_topics SET deleted_at = $1 WHERE account_id = $2", false},
		{"DELETE FROM accounts WHERE id = $1", false},
		{"SELECT pg_advisory_xact_lock($1)", false},
	} {
		var m ReadMemo
		put(&m)
		m.Saw(tt.query)
		if _, ok := m.Subscriptions("111122223333", "confirmed"); ok != tt.kept {
			t.Errorf("Saw(%q): kept %v, want %v", tt.query, ok, tt.kept)
		}
	}
}
