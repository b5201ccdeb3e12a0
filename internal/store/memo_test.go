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
