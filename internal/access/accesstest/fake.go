// Package accesstest holds in-memory stand-ins for the catalog and the
// accounts that the access service reads, for tests of access and its API.
package accesstest

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Catalog is an in-memory catalog: databases with an owner and tables with columns.
type Catalog struct {
	mu  sync.Mutex
	dbs map[string]*database
}

type database struct {
	owner  string
	tables map[string][]string
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{dbs: map[string]*database{}} }

// AddDatabase adds a database owned by owner.
func (c *Catalog) AddDatabase(name, owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dbs[name] = &database{owner: owner, tables: map[string][]string{}}
}

// AddTable adds (or replaces) a table with its columns.
func (c *Catalog) AddTable(db, table string, columns ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dbs[db].tables[table] = columns
}

// Delete removes a database (table empty) or a table.
func (c *Catalog) Delete(db, table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if table == "" {
		delete(c.dbs, db)
		return
	}
	delete(c.dbs[db].tables, table)
}

// DatabaseOwner returns the owner of a database, or ENOTFOUND.
func (c *Catalog) DatabaseOwner(_ context.Context, _ store.Tx, db string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.dbs[db]
	if !ok {
		return "", mesh.NotFound("database", db)
	}
	return d.owner, nil
}

// TableColumns returns a table's columns, or ENOTFOUND.
func (c *Catalog) TableColumns(_ context.Context, _ store.Tx, db, table string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.dbs[db]
	if !ok {
		return nil, mesh.NotFound("database", db)
	}
	cols, ok := d.tables[table]
	if !ok {
		return nil, mesh.NotFound("table", db+"."+table)
	}
	return slices.Clone(cols), nil
}

// Tables returns a database's tables by name.
func (c *Catalog) Tables(_ context.Context, _ store.Tx, db string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.dbs[db]
	if !ok {
		return nil, mesh.NotFound("database", db)
	}
	var out []string
	for t := range d.tables {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// Owners returns every database's owner.
func (c *Catalog) Owners(context.Context, store.Tx) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for n, d := range c.dbs {
		out[n] = d.owner
	}
	return out, nil
}

// Accounts is an in-memory set of accounts (with organizations) and users.
type Accounts struct {
	mu    sync.Mutex
	orgs  map[string]string
	users map[string]bool
}

// NewAccounts returns an empty set.
func NewAccounts() *Accounts { return &Accounts{orgs: map[string]string{}, users: map[string]bool{}} }

// AddAccount adds an account in organization org (may be empty) with users.
func (a *Accounts) AddAccount(id, org string, users ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.orgs[id] = org
	for _, u := range users {
		a.users[id+"/"+u] = true
	}
}

// AccountOrganization returns an account's organization, or ENOTFOUND.
func (a *Accounts) AccountOrganization(_ context.Context, _ store.Tx, id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	org, ok := a.orgs[id]
	if !ok {
		return "", mesh.NotFound("account", id)
	}
	return org, nil
}

// CheckUser returns ENOTFOUND unless the account has the user.
func (a *Accounts) CheckUser(_ context.Context, _ store.Tx, id, user string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.users[id+"/"+user] {
		return mesh.NotFound("user", id+"/"+user)
	}
	return nil
}
