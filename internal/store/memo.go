package store

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// ReadMemo keeps, for one transaction, the rows it has read from the tables
// that change least and are read most: accounts, users, the catalog's
// databases and tables, and the platform each database was imported from
// (none, mostly). A request's start reads the same database, table and
// accounts several times (the request's checks, the catalog task, the
// grant's checks), its notice reads the requester, its grant the platform,
// and a batch of starts shares one transaction; with the memo each is read
// once. It also keeps the access requests the transaction has written or
// read: a request's workflow reads its request again at each step; and the
// executions it has locked, which a decision locks and then its callback
// again; and the subscriptions of the account topics it has published to.
// Both stores' Tx types keep one and show it every statement they
// run (Saw): a statement that may change a memoized table empties what the
// memo keeps of that table, and one that waits for a lock (after which
// another transaction's commit may be visible) empties it all but the
// executions the transaction holds locked, which nobody else can have
// changed; rolling back to a savepoint (which may release a lock) empties
// it all. Callers get copies, so changing what they get changes nothing
// here.
type ReadMemo struct {
	databases map[string]*mesh.Database
	tables    map[[2]string]*mesh.Table
	accounts  map[string]*mesh.Account
	users     map[string]memoUser
	// platforms maps a database to the platform it was imported from, 0
	// for none.
	platforms map[string]int64
	// requests are as a read would return them; byExecution maps each
	// one's execution to its id.
	requests    map[int64]*mesh.AccessRequest
	byExecution map[string]int64
	// executions are those the transaction has locked (LockExecution), as
	// the lock returned them: nobody else changes them until it ends, and
	// its own writes to workflow_executions forget them.
	executions map[string]*ExecutionRecord
	// subscriptions are an account topic's subscriptions with a status,
	// as FindSubscriptions read them: a batch of starts publishes each
	// approval to the same producer's topic.
	subscriptions map[[2]string][]Subscription
	// held are the ids of the executions the transaction has locked. They
	// outlast what it read of them, as the locks do: only a rollback to a
	// savepoint, which may release a lock, forgets them (Clear).
	held map[string]bool
}

// memoUser is a user as FindUserByUsername reads it, with its password's hash.
type memoUser struct {
	user *mesh.User
	hash string
}

// catalogTables are the tables of the memo's accounts, users, databases,
// tables and platforms. A foreign key's cascade from one of them reaches
// only tables named here or tables the memo does not keep, so a statement
// that names none of them leaves that part of the memo true.
var catalogTables = []string{"accounts", "users", "catalog_databases", "catalog_tables", "platform_objects"}

// Saw empties the memo when query may change a memoized table or waits for
// a lock: anything but a plain SELECT that names one of the tables (a name
// inside another, such as offboarded_accounts, counts: emptying is always
// safe), and any statement taking a row or advisory lock, which leaves only
// the executions the transaction holds locked.
func (m *ReadMemo) Saw(query string) {
	if m.databases == nil && m.tables == nil && m.accounts == nil && m.users == nil && m.platforms == nil &&
		m.requests == nil && m.executions == nil && m.subscriptions == nil {
		return
	}
	e := effectOf(query)
	if e&takesLock != 0 {
		m.forgetReads()
		return
	}
	if e&writesCatalog != 0 {
		// an account's removal reaches its topic
		m.databases, m.tables, m.accounts, m.users, m.platforms, m.subscriptions = nil, nil, nil, nil, nil, nil
	}
	if e&writesSubscriptions != 0 {
		m.subscriptions = nil
	}
	if e&writesRequests != 0 {
		m.requests, m.byExecution = nil, nil
	}
	if e&writesExecutions != 0 {
		m.executions = nil
	}
}

// effect is what a statement may do to what the memo keeps.
type effect uint8

const (
	takesLock effect = 1 << iota
	writesCatalog
	writesRequests
	writesExecutions
	writesSubscriptions
)

// effects keeps each statement's effect by its text, as Saw runs for every
// statement and the store's statements are a few hundred texts, most of
// them constants. Past maxEffects texts (statements built with a varying
// number of values) it classifies without keeping.
var effects struct {
	sync.RWMutex
	m map[string]effect
}

const maxEffects = 4096

func effectOf(query string) effect {
	effects.RLock()
	e, ok := effects.m[query]
	effects.RUnlock()
	if ok {
		return e
	}
	e = classify(query)
	effects.Lock()
	if effects.m == nil {
		effects.m = map[string]effect{}
	}
	if len(effects.m) < maxEffects {
		effects.m[query] = e
	}
	effects.Unlock()
	return e
}

func classify(query string) effect {
	q := strings.TrimLeft(query, " \t\r\n(")
	if locks(q) {
		return takesLock
	}
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") {
		return 0
	}
	var e effect
	if namesCatalogTable(q) {
		e |= writesCatalog
	}
	if strings.Contains(q, "access_requests") {
		e |= writesRequests
	}
	if strings.Contains(q, "workflow_executions") {
		e |= writesExecutions
	}
	if strings.Contains(q, "notify_subscriptions") || strings.Contains(q, "notify_topics") {
		e |= writesSubscriptions
	}
	return e
}

// SawRequestWrite is Saw for the store's own statement writing one access
// request, a new row or one by its id, and nothing else (it may read other
// tables, as an insert reading its target account does), whose outcome the
// store then writes through to the memo (PutRequest, PutRequestUpdate) or
// forgets (ForgetRequest). Such a statement changes nothing else the memo
// keeps, so the memo stays as it is, whatever tables the statement names,
// and a batch of starts, each writing its own request, reads none of them
// back from the store; only a lock, after which another transaction's
// commit may be visible, empties it.
func (m *ReadMemo) SawRequestWrite(query string) {
	if effectOf(query)&takesLock != 0 {
		m.forgetReads()
	}
}

// SawExecutionsWrite is Saw for the store's own statement updating the
// executions ids, by id, and nothing else: the memo forgets what it keeps
// of those and keeps the other executions the transaction holds locked,
// which the statement leaves as they are. So a batch of decisions, each
// updating its own execution, reads none of the others again.
func (m *ReadMemo) SawExecutionsWrite(query string, ids []string) {
	if effectOf(query)&takesLock != 0 {
		m.forgetReads()
		return
	}
	for _, id := range ids {
		delete(m.executions, id)
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

func namesCatalogTable(q string) bool {
	for _, t := range catalogTables {
		if strings.Contains(q, t) {
			return true
		}
	}
	return false
}

// Clear forgets every row, and the executions the transaction holds
// locked: a rollback to a savepoint may have released them.
func (m *ReadMemo) Clear() { *m = ReadMemo{} }

// forgetReads forgets every row, after a lock: another transaction's
// commit may be visible now. The executions the transaction holds locked
// stay as they are, and stay held: nobody else can have changed them.
func (m *ReadMemo) forgetReads() { *m = ReadMemo{executions: m.executions, held: m.held} }

// ForgetAccountAndDatabases forgets account id and every database: what
// a transaction reads after taking the account's lock without waiting
// must show what committed before it, the catalog's hand-overs and
// deletes of the account's products included; the rest of what it read
// no holder of that lock changed since.
func (m *ReadMemo) ForgetAccountAndDatabases(id string) {
	delete(m.accounts, id)
	m.databases = nil
}

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

// Subscriptions returns copies of the memoized subscriptions of an
// account's topic with a status ("" for any but unsubscribed).
func (m *ReadMemo) Subscriptions(accountID, status string) ([]*Subscription, bool) {
	subs, ok := m.subscriptions[[2]string{accountID, status}]
	if !ok {
		return nil, false
	}
	out := make([]*Subscription, len(subs))
	for i := range subs {
		c := subs[i]
		out[i] = &c
	}
	return out, true
}

// PutSubscriptions memoizes copies of an account topic's subscriptions
// with a status.
func (m *ReadMemo) PutSubscriptions(accountID, status string, subs []*Subscription) {
	if m.subscriptions == nil {
		m.subscriptions = map[[2]string][]Subscription{}
	}
	c := make([]Subscription, len(subs))
	for i, s := range subs {
		c[i] = *s
	}
	m.subscriptions[[2]string{accountID, status}] = c
}

// PutAccount memoizes a copy of a.
func (m *ReadMemo) PutAccount(a *mesh.Account) {
	if m.accounts == nil {
		m.accounts = map[string]*mesh.Account{}
	}
	c := *a
	m.accounts[a.ID] = &c
}

// User returns a copy of the memoized user and its password's hash.
func (m *ReadMemo) User(username string) (*mesh.User, string, bool) {
	u, ok := m.users[username]
	if !ok {
		return nil, "", false
	}
	return copyUser(u.user), u.hash, true
}

// PutUser memoizes a copy of u and its password's hash.
func (m *ReadMemo) PutUser(u *mesh.User, hash string) {
	if m.users == nil {
		m.users = map[string]memoUser{}
	}
	m.users[u.Username] = memoUser{copyUser(u), hash}
}

func copyUser(u *mesh.User) *mesh.User {
	c := *u
	c.Roles = slices.Clone(u.Roles)
	if u.LastLoginAt != nil {
		at := *u.LastLoginAt
		c.LastLoginAt = &at
	}
	return &c
}

// PlatformOfDatabase returns the memoized platform a database was imported
// from, 0 for none.
func (m *ReadMemo) PlatformOfDatabase(database string) (int64, bool) {
	id, ok := m.platforms[database]
	return id, ok
}

// PutPlatformOfDatabase memoizes the platform a database was imported
// from, 0 for none.
func (m *ReadMemo) PutPlatformOfDatabase(database string, id int64) {
	if m.platforms == nil {
		m.platforms = map[string]int64{}
	}
	m.platforms[database] = id
}

// Request returns a copy of the memoized request.
func (m *ReadMemo) Request(id int64) (*mesh.AccessRequest, bool) {
	r, ok := m.requests[id]
	if !ok {
		return nil, false
	}
	return copyRequest(r), true
}

// RequestByExecution returns a copy of the memoized request an execution runs.
func (m *ReadMemo) RequestByExecution(executionID string) (*mesh.AccessRequest, bool) {
	id, ok := m.byExecution[executionID]
	if !ok {
		return nil, false
	}
	return m.Request(id)
}

// PutRequest memoizes a copy of r, which must be as a read returns it
// (StoredRequest): read, or written whole.
func (m *ReadMemo) PutRequest(r *mesh.AccessRequest) {
	if m.requests == nil {
		m.requests, m.byExecution = map[int64]*mesh.AccessRequest{}, map[string]int64{}
	}
	m.requests[r.ID] = copyRequest(r)
	m.byExecution[r.ExecutionID] = r.ID
}

// ForgetRequest forgets a request, so that the next read of it goes to the
// store.
func (m *ReadMemo) ForgetRequest(id int64) {
	if r, ok := m.requests[id]; ok {
		delete(m.byExecution, r.ExecutionID)
		delete(m.requests, id)
	}
}

// PutRequestUpdate memoizes what an update of the request's changeable
// fields to r's left, when the memo knows the rest of the row; r as
// StoredRequest returns it.
func (m *ReadMemo) PutRequestUpdate(before *mesh.AccessRequest, r *mesh.AccessRequest) {
	if before == nil {
		return
	}
	c := copyRequest(before)
	c.Status, c.Error, c.Cause, c.PIIColumns, c.Decision = r.Status, r.Error, r.Cause, r.PIIColumns, r.Decision
	c.EndedBy, c.GrantID, c.ShareID, c.ExpiresAt, c.UpdatedAt = r.EndedBy, r.GrantID, r.ShareID, r.ExpiresAt, r.UpdatedAt
	m.PutRequest(c)
}

func copyRequest(r *mesh.AccessRequest) *mesh.AccessRequest {
	c := *r
	c.PIIColumns = slices.Clone(r.PIIColumns)
	if r.Decision != nil {
		d := *r.Decision
		c.Decision = &d
	}
	return &c
}

// TimePrecision is how precisely a store of the dialect keeps times:
// PostgreSQL to the microsecond, SQLite (as text) to the nanosecond.
func TimePrecision(dialect string) time.Duration {
	if dialect == "postgres" {
		return time.Microsecond
	}
	return time.Nanosecond
}

// StoredRequest returns r as a store keeping times to precision returns it
// from a read: times in UTC to that precision, the duration in whole
// seconds, no empty lists, a decision only once somebody decided.
func StoredRequest(r *mesh.AccessRequest, precision time.Duration) *mesh.AccessRequest {
	c := copyRequest(r)
	at := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC().Truncate(precision)
	}
	c.ExpiresAt, c.CreatedAt, c.UpdatedAt = at(r.ExpiresAt), at(r.CreatedAt), at(r.UpdatedAt)
	c.Duration = mesh.Duration(time.Duration(r.Duration).Truncate(time.Second))
	if len(c.PIIColumns) == 0 {
		c.PIIColumns = nil
	}
	if c.Decision != nil {
		if c.Decision.By == "" {
			c.Decision = nil
		} else {
			c.Decision.At = at(c.Decision.At)
		}
	}
	return c
}

// LockedExecution returns a copy of the execution the transaction has
// locked, as it is.
func (m *ReadMemo) LockedExecution(id string) (*ExecutionRecord, bool) {
	rec, ok := m.executions[id]
	if !ok {
		return nil, false
	}
	return copyExecution(rec), true
}

// PutLockedExecution memoizes a copy of an execution just locked, or read
// again while the transaction holds it locked.
func (m *ReadMemo) PutLockedExecution(rec *ExecutionRecord) {
	if m.executions == nil {
		m.executions = map[string]*ExecutionRecord{}
	}
	m.executions[rec.ID] = copyExecution(rec)
	if m.held == nil {
		m.held = map[string]bool{}
	}
	m.held[rec.ID] = true
}

// HoldsExecution reports whether the transaction holds the execution
// locked (PutLockedExecution), whether or not the memo still keeps the
// execution's row: reading it again needs no lock and waits for nobody.
func (m *ReadMemo) HoldsExecution(id string) bool { return m.held[id] }

func copyExecution(rec *ExecutionRecord) *ExecutionRecord {
	c := *rec
	c.Input, c.Output, c.State = slices.Clone(rec.Input), slices.Clone(rec.Output), slices.Clone(rec.State)
	return &c
}
