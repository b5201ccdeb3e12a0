package access

import (
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Index is the in-memory copy of the active grants that answers decisions:
// (principal, database) → grants split by kind, so a decision is one map
// lookup and a scan of the few grants one principal holds in one database.
// It is safe for concurrent use. The Service keeps it consistent with the
// store: rebuilt at start, changed after each commit, and reloaded when the
// store's access version moves on behind its back (another replica).
type Index struct {
	mu    sync.RWMutex
	nodes map[nodeKey]*node
	byID  map[int64]grantRef
	// owners maps a database to its owning account (data_owner): an account
	// principal holds everything on what it owns.
	owners map[string]string
	// links maps an account to its resource links by name; linkByID finds
	// them by id, as a deleted link's tombstone names it.
	links    map[string]map[string]*mesh.ResourceLink
	linkByID map[int64]*mesh.ResourceLink
	central  string
	version  int64
}

// grantRef finds a grant in the index again: its node and its table (""
// for the database, "*" for all tables).
type grantRef struct {
	node  nodeKey
	table string
}

// nodeKey hashes both strings without building a combined one.
type nodeKey struct {
	principal mesh.Principal
	database  string
}

// NewIndex returns an empty index. central names the central account,
// which holds everything on the catalog it keeps.
func NewIndex(central string) *Index {
	return &Index{
		nodes:    map[nodeKey]*node{},
		byID:     map[int64]grantRef{},
		owners:   map[string]string{},
		links:    map[string]map[string]*mesh.ResourceLink{},
		linkByID: map[int64]*mesh.ResourceLink{},
		central:  central,
	}
}

// Len returns the number of grants in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Version returns the store's access version the index reflects.
func (x *Index) Version() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.version
}

// Holds reports whether p holds an active grant in database, as far as the
// index knows: a hint, as another replica's change may not have reached it.
func (x *Index) Holds(p mesh.Principal, database string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.nodes[nodeKey{p, database}] != nil
}

// Put adds g, or replaces the grant with its id. Grants that are not active
// are removed instead: they allow nothing.
func (x *Index) Put(g *mesh.Grant) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.put(g)
}

func (x *Index) put(g *mesh.Grant) {
	x.remove(g.ID)
	if g.Status != mesh.GrantActive {
		return
	}
	nk := nodeKey{g.Principal, g.Resource.Database}
	n := x.nodes[nk]
	if n == nil {
		n = &node{}
		x.nodes[nk] = n
	}
	n.add(g)
	x.byID[g.ID] = grantRef{nk, g.Resource.Table}
}

// Remove drops the grant with id, if present.
func (x *Index) Remove(id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
}

func (x *Index) remove(id int64) {
	ref, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	if n := x.nodes[ref.node]; n != nil && n.remove(id, ref.table) {
		delete(x.nodes, ref.node)
	}
}

// RemoveResource drops every grant on a database (table empty) or on one
// of its tables, for a catalog delete seen before its transaction commits:
// failing closed is safe, and the next reload restores the truth.
func (x *Index) RemoveResource(database, table string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, ref := range x.byID {
		if ref.node.database == database && (table == "" || ref.table == table) {
			x.remove(id)
		}
	}
}

// Apply records committed changes, removals first, and sets the version
// they bring the index to.
func (x *Index) Apply(version int64, put []*mesh.Grant, removed []int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range removed {
		x.remove(id)
	}
	for _, g := range put {
		x.put(g)
	}
	x.version = version
}

// Replace swaps in a complete set of grants and owners at version.
func (x *Index) Replace(version int64, grants []*mesh.Grant, owners map[string]string) {
	fresh := NewIndex(x.central)
	for _, g := range grants {
		fresh.put(g)
	}
	if owners == nil {
		owners = map[string]string{}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.nodes, x.byID, x.owners, x.version = fresh.nodes, fresh.byID, owners, version
}

// SetOwners replaces the database → owning account map.
func (x *Index) SetOwners(owners map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.owners = owners
}

// SetOwner records a database's owning account ("": none, or deleted).
func (x *Index) SetOwner(database, owner string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setOwner(database, owner)
}

func (x *Index) setOwner(database, owner string) {
	if owner == "" {
		delete(x.owners, database)
		return
	}
	x.owners[database] = owner
}

// ApplyOwners records committed ownership changes (owner "" for a database
// deleted) and sets the version they bring the index to.
func (x *Index) ApplyOwners(version int64, owners map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for db, owner := range owners {
		x.setOwner(db, owner)
	}
	x.version = version
}

// Owner returns the owning account of a database as the index knows it.
func (x *Index) Owner(database string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.owners[database]
}

// Allowed decides whether principal may do action on r, and names the grants
// that allow it. A user's permissions are its own grants only: as in Lake
// Formation, what an account holds reaches its users only when the account's
// admins grant it to them. An account principal holds everything on the
// databases it owns, and the central account on the whole catalog.
func (x *Index) Allowed(p mesh.Principal, action mesh.Permission, r mesh.Resource) mesh.Decision {
	return x.decide(p, action, r, false)
}

// Grantable decides whether principal holds action on r WITH GRANT OPTION.
func (x *Index) Grantable(p mesh.Principal, action mesh.Permission, r mesh.Resource) mesh.Decision {
	return x.decide(p, action, r, true)
}

func (x *Index) decide(p mesh.Principal, action mesh.Permission, r mesh.Resource, grantOpt bool) mesh.Decision {
	if !action.Valid() {
		return mesh.Decision{Grants: []int64{}, Reason: "unknown action " + string(action)}
	}
	x.mu.RLock()
	n := x.nodes[nodeKey{p, r.Database}]
	owner := x.owners[r.Database]
	var ids []int64
	var reason string
	if n != nil {
		ids, reason = n.decide(action, r, grantOpt)
	}
	x.mu.RUnlock()
	if ids != nil {
		return mesh.Decision{Allowed: true, Grants: ids, Reason: "granted"}
	}
	if p.IsAccount() && (string(p) == x.central || (owner != "" && string(p) == owner)) {
		return mesh.Decision{Allowed: true, Grants: []int64{}, Reason: "owner of database " + r.Database}
	}
	if reason == "" {
		reason = "no grant gives " + need(action, r, grantOpt)
	}
	reason += " to " + string(p)
	if acct := p.Account(); !p.IsAccount() && (acct == owner || acct == x.central) {
		// Users expect to inherit what their account owns; say how they get it.
		reason += "; a user of account " + acct + " holds only its own grants, also on the account's databases: an admin of account " + acct + " can grant it"
	}
	return mesh.Decision{Grants: []int64{}, Reason: reason}
}

// grantNode gathers the active grants of one principal in database outside
// the index, for checks made inside a store transaction; build it once and
// ask it about each permission.
func grantNode(grants []*mesh.Grant, database string) *node {
	n := &node{}
	for _, g := range grants {
		if g.Status == mesh.GrantActive && g.Resource.Database == database {
			n.add(g)
		}
	}
	return n
}

// ReplaceLinks swaps in every resource link.
func (x *Index) ReplaceLinks(links []*mesh.ResourceLink) {
	fresh := &Index{links: map[string]map[string]*mesh.ResourceLink{}, linkByID: make(map[int64]*mesh.ResourceLink, len(links))}
	for _, l := range links {
		fresh.putLink(l)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.links, x.linkByID = fresh.links, fresh.linkByID
}

// ApplyLinks brings the links up to date by difference: the links made and
// the ids of the links deleted since the index's version.
func (x *Index) ApplyLinks(made []*mesh.ResourceLink, deleted []int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range deleted {
		if l := x.linkByID[id]; l != nil {
			x.removeLink(l)
		}
	}
	for _, l := range made {
		x.putLink(l)
	}
}

// PutLink adds a resource link.
func (x *Index) PutLink(l *mesh.ResourceLink) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.putLink(l)
}

// RemoveLink drops a resource link.
func (x *Index) RemoveLink(l *mesh.ResourceLink) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLink(l)
}

// putLink adds l in place of the link of the same account and name, if any.
func (x *Index) putLink(l *mesh.ResourceLink) {
	byName := x.links[l.AccountID]
	if byName == nil {
		byName = map[string]*mesh.ResourceLink{}
		x.links[l.AccountID] = byName
	}
	if old := byName[l.Name]; old != nil {
		delete(x.linkByID, old.ID)
	}
	byName[l.Name] = l
	x.linkByID[l.ID] = l
}

// removeLink drops l: the account's link of its name, unless that is
// another link now.
func (x *Index) removeLink(l *mesh.ResourceLink) {
	if cur := x.links[l.AccountID][l.Name]; cur != nil && cur.ID == l.ID {
		delete(x.links[l.AccountID], l.Name)
		delete(x.linkByID, l.ID)
	}
}

// ResolveLink rewrites a resource named through one of the account's
// resource links into the shared resource it points at. A resource that
// names no link of the account is returned as it is. ok is false for a
// table other than the one a link to a table points at: that link names no
// other table (Grant answers ENOTFOUND for it).
func (x *Index) ResolveLink(accountID string, r mesh.Resource) (_ mesh.Resource, ok bool) {
	x.mu.RLock()
	l := x.links[accountID][r.Database]
	x.mu.RUnlock()
	return resolveLink(l, r)
}

// A link named after the database it points at names the original too, so
// it resolves to the name as written. A link to one table stands for that
// table only: another table named through it is none (ok false).
func resolveLink(l *mesh.ResourceLink, r mesh.Resource) (_ mesh.Resource, ok bool) {
	if l == nil || l.Name == l.Database {
		return r, true
	}
	if l.Table != "" && r.Table != "" && r.Table != l.Table {
		return r, false
	}
	r.Database = l.Database
	if l.Table != "" && r.Table == "" {
		r.Table = l.Table
	}
	return r, true
}
