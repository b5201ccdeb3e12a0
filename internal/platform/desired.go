package platform

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// scope is one catalog database of a platform with its objects' native names.
type scope struct {
	rec      *store.PlatformRecord
	d        Dialect
	database string
	schema   string
	tables   map[string]string            // catalog table → native table
	cols     map[string]map[string]string // catalog table → catalog column → native column
	order    map[string][]string          // catalog table → catalog columns, in import order
	native   map[string]bool              // native tables meshgate manages
	roles    map[string]string            // fixed mapping: principal → role
	managedR map[string]bool              // fixed mapping: the roles meshgate manages
}

// loadScope reads the objects a sync imported into database.
func loadScope(ctx context.Context, tx store.Tx, rec *store.PlatformRecord, d Dialect, database string) (*scope, error) {
	objs, err := tx.FindPlatformObjects(ctx, rec.ID, database)
	if err != nil {
		return nil, err
	}
	sc := &scope{rec: rec, d: d, database: database, tables: map[string]string{}, cols: map[string]map[string]string{},
		order: map[string][]string{}, native: map[string]bool{}, managedR: map[string]bool{}}
	for _, o := range objs {
		sc.schema = o.NativeSchema
		switch {
		case o.Table == "":
		case o.Column == "":
			sc.tables[o.Table] = o.NativeTable
			sc.native[o.NativeTable] = true
		default:
			if sc.cols[o.Table] == nil {
				sc.cols[o.Table] = map[string]string{}
			}
			sc.cols[o.Table][o.Column] = o.NativeColumn
			sc.order[o.Table] = append(sc.order[o.Table], o.Column)
		}
	}
	if rec.RoleMode == RolesFixed {
		sc.roles = map[string]string{}
		_ = json.Unmarshal([]byte(rec.RoleMap), &sc.roles)
		for _, r := range sc.roles {
			sc.managedR[r] = true
		}
	}
	return sc, nil
}

// roleOf maps a principal to its platform role ("" for none: in per-user
// mode an account's own grants give its users nothing, as in meshgate).
func (sc *scope) roleOf(p mesh.Principal) string { return roleFor(sc.rec, sc.roles, sc.d, p) }

// roleFor maps a principal to its role on the platform rec, given its fixed
// mapping roles (nil: read from rec).
func roleFor(rec *store.PlatformRecord, roles map[string]string, d Dialect, p mesh.Principal) string {
	if rec.RoleMode == RolesFixed {
		if roles == nil {
			_ = json.Unmarshal([]byte(rec.RoleMap), &roles)
		}
		return roles[string(p)]
	}
	if p.IsAccount() {
		return ""
	}
	return UserRole(d, p.Account(), p.User())
}

// managed reports whether meshgate manages a role's privileges.
func (sc *scope) managed(role string) bool {
	if sc.rec.RoleMode == RolesFixed {
		return sc.managedR[role]
	}
	return strings.HasPrefix(role, RolePrefix)
}

// desired is what the platform should hold on the scope for the grants.
func (sc *scope) desired(grants []*mesh.Grant) map[Privilege]bool {
	out := map[Privilege]bool{}
	roles := map[string]bool{}
	add := func(p Privilege) {
		out[p] = true
		roles[p.Role] = true
	}
	for _, g := range grants {
		if g.Status != mesh.GrantActive || g.Resource.Database != sc.database {
			continue
		}
		role := sc.roleOf(g.Principal)
		if role == "" {
			continue
		}
		perms := g.Permissions.Explicit()
		r := g.Resource
		var tables []string
		switch r.Kind() {
		case mesh.KindDatabase:
			if sc.d.SchemaUsage() && perms != 0 {
				roles[role] = true
			}
			continue
		case mesh.KindAllTables:
			tables = sortedKeys(sc.tables)
		default:
			if _, ok := sc.tables[r.Table]; ok {
				tables = []string{r.Table}
			}
		}
		for _, t := range tables {
			nt := sc.tables[t]
			if r.Kind() == mesh.KindColumns {
				if !perms.Has(mesh.PermSelect) {
					continue
				}
				for _, c := range sc.order[t] {
					in := slices.Contains(r.Columns, c)
					if len(r.ExcludedColumns) > 0 {
						in = !slices.Contains(r.ExcludedColumns, c)
					}
					if in {
						add(Privilege{Role: role, Schema: sc.schema, Table: nt, Column: sc.cols[t][c], Priv: "SELECT"})
					}
				}
				continue
			}
			for _, tp := range tablePrivileges {
				if perms.Has(tp.perm) {
					add(Privilege{Role: role, Schema: sc.schema, Table: nt, Priv: tp.priv})
				}
			}
		}
	}
	// A column privilege under the same table privilege adds nothing.
	for p := range out {
		if p.Column != "" && out[Privilege{Role: p.Role, Schema: p.Schema, Table: p.Table, Priv: p.Priv}] {
			delete(out, p)
		}
	}
	if sc.d.SchemaUsage() && sc.schema != "" {
		for r := range roles {
			out[Privilege{Role: r, Schema: sc.schema, Priv: "USAGE"}] = true
		}
	}
	return out
}

// actual keeps the privileges of managed roles on managed objects. Those
// granted on more than the schema are wider's.
func (sc *scope) actual(ps []Privilege) map[Privilege]bool {
	out := map[Privilege]bool{}
	for _, p := range ps {
		if !sc.managed(p.Role) || p.On != "" || (p.Table != "" && !sc.native[p.Table]) {
			continue
		}
		if p.Table == "" && sc.d.SchemaUsage() && p.Priv != "USAGE" && p.Priv != "GRANT OPTION FOR USAGE" {
			continue // CREATE on a PostgreSQL schema is not meshgate's to manage
		}
		out[p] = true
	}
	return out
}

// wider returns the privileges of managed roles granted on more than the
// schema (Privilege.On): drift that scope.beyond ends or reports.
func (sc *scope) wider(ps []Privilege) []Privilege {
	var out []Privilege
	for _, p := range ps {
		if p.On != "" && sc.managed(p.Role) {
			out = append(out, p)
		}
	}
	return out
}

// diff returns what to grant and what to revoke to go from have to want.
func diff(want, have map[Privilege]bool) (grant, revoke []Privilege) {
	for p := range want {
		if !have[p] {
			grant = append(grant, p)
		}
	}
	for p := range have {
		if !want[p] {
			revoke = append(revoke, p)
		}
	}
	return grant, revoke
}

// retaken returns the column privileges of want that revoke's table-level
// revokes take with them: on PostgreSQL and MariaDB, revoking a privilege on
// a table revokes it on the table's columns too. The platform holds them,
// so diff does not grant them, yet after the revoke they must be granted
// again.
func retaken(want, have map[Privilege]bool, revoke []Privilege) []Privilege {
	type key struct{ role, schema, table, priv string }
	taken := map[key]bool{}
	for _, p := range revoke {
		if p.Table != "" && p.Column == "" {
			taken[key{p.Role, p.Schema, p.Table, p.Priv}] = true
		}
	}
	var out []Privilege
	for p := range want {
		if p.Column != "" && have[p] && taken[key{p.Role, p.Schema, p.Table, p.Priv}] {
			out = append(out, p)
		}
	}
	return out
}

// statements writes revokes first (a table-level REVOKE also takes the
// columns' privileges: see retaken), then grants, schema usage before tables;
// one statement per role, table and privilege, its columns together.
func statements(d Dialect, grant, revoke []Privilege) []string {
	type key struct{ role, schema, table, priv string }
	render := func(ps []Privilege, stmt func(role, schema, table string, cols []string, priv string) string, usageFirst bool) []string {
		groups := map[key][]string{}
		var whole []key
		for _, p := range ps {
			k := key{p.Role, p.Schema, p.Table, p.Priv}
			if p.Column == "" {
				whole = append(whole, k)
				continue
			}
			groups[k] = append(groups[k], p.Column)
		}
		type item struct {
			k    key
			cols []string
		}
		var items []item
		for _, k := range whole {
			items = append(items, item{k: k})
		}
		for k, cols := range groups {
			sort.Strings(cols)
			items = append(items, item{k, cols})
		}
		sort.Slice(items, func(i, j int) bool {
			a, b := items[i], items[j]
			if (a.k.table == "") != (b.k.table == "") {
				return (a.k.table == "") == usageFirst
			}
			if a.k != b.k {
				return a.k.role+"\x00"+a.k.table+"\x00"+a.k.priv < b.k.role+"\x00"+b.k.table+"\x00"+b.k.priv
			}
			return len(a.cols) < len(b.cols)
		})
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = stmt(it.k.role, it.k.schema, it.k.table, it.cols, it.k.priv)
		}
		return out
	}
	return append(render(revoke, d.Revoke, false), render(grant, d.Grant, true)...)
}
