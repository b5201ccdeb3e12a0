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
