package access

import (
	"fmt"
	"slices"

	"github.com/meshgate/meshgate/internal/mesh"
)

// colMode says how a grant's column list reads.
type colMode uint8

const (
	colsAll     colMode = iota // the whole table (or database, or every table)
	colsInclude                // only the listed columns
	colsExclude                // every column but the listed ones
)

// entry is one grant as the decision needs it: small, no allocation to test.
type entry struct {
	id        int64
	perms     mesh.Permissions
	grantable mesh.Permissions
	mode      colMode
	cols      []string // sorted
}

func newEntry(g *mesh.Grant) entry {
	e := entry{id: g.ID, perms: g.Permissions, grantable: g.Grantable}
	switch {
	case len(g.Resource.Columns) > 0:
		e.mode, e.cols = colsInclude, slices.Clone(g.Resource.Columns)
	case len(g.Resource.ExcludedColumns) > 0:
		e.mode, e.cols = colsExclude, slices.Clone(g.Resource.ExcludedColumns)
	}
	slices.Sort(e.cols)
	return e
}

func (e *entry) set(grantOpt bool) mesh.Permissions {
	if grantOpt {
		return e.grantable
	}
	return e.perms
}

// coversColumn reports whether a column grant reaches column c.
func (e *entry) coversColumn(c string) bool {
	_, found := slices.BinarySearch(e.cols, c)
	if e.mode == colsExclude {
		return !found
	}
	return found
}

// node holds one principal's grants in one database, split by resource kind
// so that a decision looks at only the grants that can apply.
type node struct {
	db  []entry // on the database itself
	all []entry // on all tables of the database
	// tables holds the grants on one table, whole or some columns. Most
	// principals hold a few tables per database: a short slice searched in
	// order costs less memory than a map and no more time.
	tables []tableGrants
	// many replaces tables beyond maxTableSlice tables.
	many map[string][]entry
}

type tableGrants struct {
	table   string
	entries []entry
}

const maxTableSlice = 8

// table returns the grants on one table.
func (n *node) table(name string) []entry {
	if n.many != nil {
		return n.many[name]
	}
	for i := range n.tables {
		if n.tables[i].table == name {
			return n.tables[i].entries
		}
	}
	return nil
}

// setTable replaces the grants on one table (none: forgets the table).
func (n *node) setTable(name string, es []entry) {
	if n.many != nil {
		if len(es) == 0 {
			delete(n.many, name)
		} else {
			n.many[name] = es
		}
		return
	}
	for i := range n.tables {
		if n.tables[i].table == name {
			if len(es) == 0 {
				n.tables = slices.Delete(n.tables, i, i+1)
			} else {
				n.tables[i].entries = es
			}
			return
		}
	}
	if len(es) == 0 {
		return
	}
	if len(n.tables) < maxTableSlice {
		n.tables = append(n.tables, tableGrants{name, es})
		return
	}
	n.many = map[string][]entry{name: es}
	for _, t := range n.tables {
		n.many[t.table] = t.entries
	}
	n.tables = nil
}

// tableCount returns how many tables the node holds grants on.
func (n *node) tableCount() int { return len(n.tables) + len(n.many) }

// eachTable calls fn with the grants of every table until it returns false.
func (n *node) eachTable(fn func(es []entry) bool) {
	for _, t := range n.tables {
		if !fn(t.entries) {
			return
		}
	}
	for _, es := range n.many {
		if !fn(es) {
			return
		}
	}
}

func (n *node) add(g *mesh.Grant) {
	e := newEntry(g)
	switch g.Resource.Kind() {
	case mesh.KindDatabase:
		n.db = append(n.db, e)
	case mesh.KindAllTables:
		n.all = append(n.all, e)
	default:
		n.setTable(g.Resource.Table, append(n.table(g.Resource.Table), e))
	}
}

// remove drops the grant with id from the grants on table ("" for the
// database, "*" for all tables); it reports whether the node is now empty.
func (n *node) remove(id int64, table string) bool {
	del := func(es []entry) []entry {
		return slices.DeleteFunc(es, func(e entry) bool { return e.id == id })
	}
	switch table {
	case "":
		n.db = del(n.db)
	case mesh.AllTables:
		n.all = del(n.all)
	default:
		n.setTable(table, del(n.table(table)))
	}
	return len(n.db) == 0 && len(n.all) == 0 && n.tableCount() == 0
}

// decide answers whether the grants of n give action on r (or, with grantOpt,
// give it WITH GRANT OPTION). It returns the ids of the grants that did, or
// the reason they did not.
//
// The rules follow Lake Formation:
//   - database grants cover the database itself (DESCRIBE, ALTER, DROP,
//     CREATE_TABLE), not its tables;
//   - all-tables grants cover every table of the database, present and future;
//   - a column grant allows SELECT on its columns only;
//   - ALL implies every permission;
//   - any permission on a table, or on some of its columns, implies DESCRIBE of
//     that table, and any grant in a database implies DESCRIBE of the database
//     (Lake Formation's implicit DESCRIBE). Grant option is never implicit.
func (n *node) decide(action mesh.Permission, r mesh.Resource, grantOpt bool) ([]int64, string) {
	if action == mesh.PermDescribe && !grantOpt && r.Kind() == mesh.KindColumns {
		// Describing columns is describing their table.
		r.Columns, r.ExcludedColumns = nil, nil
	}
	switch r.Kind() {
	case mesh.KindDatabase:
		if ids := firstWith(n.db, action, grantOpt); ids != nil {
			return ids, ""
		}
		if action == mesh.PermDescribe && !grantOpt {
			if ids := anyGrant(n); ids != nil {
				return ids, ""
			}
		}
		return nil, "no grant gives " + need(action, r, grantOpt)
	case mesh.KindAllTables:
		if ids := firstWith(n.all, action, grantOpt); ids != nil {
			return ids, ""
		}
		return nil, "no grant gives " + need(action, r, grantOpt)
	}
	tbl := n.table(r.Table)
	if ids := firstWith(n.all, action, grantOpt); ids != nil {
		return ids, ""
	}
	for i := range tbl {
		e := &tbl[i]
		if e.mode == colsAll && e.set(grantOpt).Has(action) {
			return []int64{e.id}, ""
		}
	}
	if action == mesh.PermDescribe && !grantOpt {
		for i := range n.all {
			e := &n.all[i]
			if e.perms != 0 {
				return []int64{e.id}, ""
			}
		}
		for i := range tbl {
			e := &tbl[i]
			if e.perms != 0 {
				return []int64{e.id}, ""
			}
		}
	}
	if action != mesh.PermSelect && action != mesh.PermDescribe {
		return nil, "no grant gives " + need(action, r, grantOpt)
	}
	switch r.Kind() {
	case mesh.KindColumns:
		if len(r.Columns) > 0 {
			return columnsCovered(tbl, action, r, grantOpt)
		}
		// An exclude list is covered by a grant excluding no more than it does.
		for i := range tbl {
			e := &tbl[i]
			if e.mode == colsExclude && e.set(grantOpt).Has(action) && subset(e.cols, r.ExcludedColumns) {
				return []int64{e.id}, ""
			}
		}
	case mesh.KindTable:
		for i := range tbl {
			e := &tbl[i]
			if e.mode != colsAll && e.set(grantOpt).Has(action) {
				return nil, fmt.Sprintf("%s is granted only on some columns of table %s.%s; name the columns", action, r.Database, r.Table)
			}
		}
	}
	return nil, "no grant gives " + need(action, r, grantOpt)
}

// columnsCovered checks each asked column against the column grants; the
// union of several grants may cover the list.
func columnsCovered(tbl []entry, action mesh.Permission, r mesh.Resource, grantOpt bool) ([]int64, string) {
	var ids []int64
	for _, c := range r.Columns {
		found := false
		for i := range tbl {
			e := &tbl[i]
			if e.mode != colsAll && e.set(grantOpt).Has(action) && e.coversColumn(c) {
				if !slices.Contains(ids, e.id) {
					ids = append(ids, e.id)
				}
				found = true
				break
			}
		}
		if !found {
			col := r
			col.Columns = []string{c}
			return nil, "no grant gives " + need(action, col, grantOpt)
		}
	}
	return ids, ""
}

func firstWith(es []entry, action mesh.Permission, grantOpt bool) []int64 {
	for i := range es {
		e := &es[i]
		if e.set(grantOpt).Has(action) {
			return []int64{e.id}
		}
	}
	return nil
}

func anyGrant(n *node) []int64 {
	for _, es := range [][]entry{n.db, n.all} {
		for i := range es {
			e := &es[i]
			if e.perms != 0 {
				return []int64{e.id}
			}
		}
	}
	var ids []int64
	n.eachTable(func(es []entry) bool {
		for i := range es {
			e := &es[i]
			if e.perms != 0 {
				ids = []int64{e.id}
				return false
			}
		}
		return true
	})
	return ids
}

// subset reports whether every element of a (sorted) is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// need names a permission on a resource the way a 403 states it:
// "SELECT WITH GRANT OPTION on table sales.orders".
func need(action mesh.Permission, r mesh.Resource, grantOpt bool) string {
	opt := ""
	if grantOpt {
		opt = " WITH GRANT OPTION"
	}
	return string(action) + opt + " on " + r.String()
}

// Need names the permission a caller lacks, for error messages.
func Need(action mesh.Permission, r mesh.Resource, grantOpt bool) string {
	return need(action, r, grantOpt)
}

// ValidPermissions returns the permissions a grant on a resource of kind k may carry.
func ValidPermissions(k mesh.ResourceKind) mesh.Permissions {
	switch k {
	case mesh.KindDatabase:
		return mesh.PermissionsOf(mesh.PermDescribe, mesh.PermAlter, mesh.PermDrop, mesh.PermCreateTable, mesh.PermAll)
	case mesh.KindColumns:
		return mesh.PermissionsOf(mesh.PermSelect, mesh.PermDescribe)
	}
	return mesh.PermissionsOf(mesh.PermDescribe, mesh.PermSelect, mesh.PermInsert, mesh.PermDelete, mesh.PermAlter, mesh.PermDrop, mesh.PermAll)
}
