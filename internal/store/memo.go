package store

import (
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// ReadMemo keeps, for one transaction, the rows it has read from the tables
// that change least and are read most: accounts and the catalog's databases
// and tables. A request's start reads the same database, table and accounts
// several times (the request's checks, the catalog task, the grant's checks),
// and a batch of starts shares one transaction; with the memo each is read
// once. Both stores' Tx types keep one and show it every statement they run
// (Saw): a statement that may change a memoized table, or that waits for a
// lock (after which another transaction's commit may be visible), empties
// it, as does rolling back to a savepoint. Callers get copies, so changing
// what they get changes nothing here.
type ReadMemo struct {
	databases map[string]*mesh.Database
	tables    map[[2]string]*mesh.Table
	accounts  map[string]*mesh.Account
}

// memoTables are the tables the memo keeps rows of. A foreign key's cascade
// from one of them reaches only tables named here or tables the memo does
// not keep, so a statement that names none of them leaves the memo true.
var memoTables = []string{"accounts", "catalog_databases", "catalog_tables"}

// Saw empties the memo when query may change a memoized table or waits for
// a lock: anything but a plain SELECT that names one of the tables (a name
// inside another, such as offboarded_accounts, counts: emptying is always
// safe), and any statement taking a row or advisory lock.
func (m *ReadMemo) Saw(query string) {
	if m.databases == nil && m.tables == nil && m.accounts == nil {
		return
	}
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") {
		if locks(q) {
			m.Clear()
		}
		return
	}
	if locks(q) || namesMemoTable(q) {
		m.Clear()
	}
}

// locks reports whether a statement takes a row lock (FOR UPDATE, FOR NO
// KEY UPDATE, FOR SHARE, FOR KEY SHARE) or an advisory lock.
func locks(q string) bool {
	for rest := q; ; {
		i := strings.Index(rest, " FOR ")
		if i < 0 {
			break
		}
		rest = rest[i+len(" FOR "):]
		if strings.HasPrefix(rest, "UPDATE") || strings.HasPrefix(rest, "SHARE") ||
			strings.HasPrefix(rest, "NO KEY") || strings.HasPrefix(rest, "KEY SHARE") {
			return true
		}
	}
	return strings.Contains(q, "advisory")
}

func namesMemoTable(q string) bool {
	for _, t := range memoTables {
		if strings.Contains(q, t) {
			return true
		}
	}
	return false
}

// Clear forgets every row.
func (m *ReadMemo) Clear() { *m = ReadMemo{} }

// Database returns a copy of the memoized database.
func (m *ReadMemo) Database(name string) (*mesh.Database, bool) {
	d, ok := m.databases[name]
	if !ok {
		return nil, false
	}
	return d.Clone(), true
}

// PutDatabase memoizes a copy of d.
func (m *ReadMemo) PutDatabase(d *mesh.Database) {
	if m.databases == nil {
		m.databases = map[string]*mesh.Database{}
	}
	m.databases[d.Name] = d.Clone()
}

// Table returns a copy of the memoized table.
func (m *ReadMemo) Table(database, name string) (*mesh.Table, bool) {
	t, ok := m.tables[[2]string{database, name}]
	if !ok {
		return nil, false
	}
	return t.Clone(), true
}

// PutTable memoizes a copy of t.
func (m *ReadMemo) PutTable(t *mesh.Table) {
	if m.tables == nil {
		m.tables = map[[2]string]*mesh.Table{}
	}
	m.tables[[2]string{t.DatabaseName, t.Name}] = t.Clone()
}

// Account returns a copy of the memoized account.
func (m *ReadMemo) Account(id string) (*mesh.Account, bool) {
	a, ok := m.accounts[id]
	if !ok {
		return nil, false
	}
	c := *a
	return &c, true
}

// PutAccount memoizes a copy of a.
func (m *ReadMemo) PutAccount(a *mesh.Account) {
	if m.accounts == nil {
		m.accounts = map[string]*mesh.Account{}
	}
	c := *a
	m.accounts[a.ID] = &c
}
