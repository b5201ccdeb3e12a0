package access

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
)

const (
	producer = "111122223333"
	consumer = "222233334444"
	alice    = mesh.Principal(consumer + "/alice")
)

func perms(ps ...mesh.Permission) mesh.Permissions { return mesh.PermissionsOf(ps...) }

func db(name string) mesh.Resource { return mesh.Resource{Database: name} }
func allTables(name string) mesh.Resource {
	return mesh.Resource{Database: name, Table: mesh.AllTables}
}
func table(d, t string) mesh.Resource { return mesh.Resource{Database: d, Table: t} }
func cols(d, t string, c ...string) mesh.Resource {
	return mesh.Resource{Database: d, Table: t, Columns: c}
}
func except(d, t string, c ...string) mesh.Resource {
	return mesh.Resource{Database: d, Table: t, ExcludedColumns: c}
}

func grant(id int64, p mesh.Principal, r mesh.Resource, ps, grantable mesh.Permissions) *mesh.Grant {
	return &mesh.Grant{ID: id, Principal: p, Resource: r.Normalize(), Permissions: ps, Grantable: grantable, Status: mesh.GrantActive}
}

// TestIndexMatrix decides principal kind × permission × resource kind × how
// the permission was obtained, on the pure index.
func TestIndexMatrix(t *testing.T) {
	acct := mesh.Principal(consumer)
	tests := []struct {
		name   string
		grants []*mesh.Grant
		p      mesh.Principal
		action mesh.Permission
		r      mesh.Resource
		want   bool
		ids    []int64
	}{
		{"account direct table select", []*mesh.Grant{grant(1, acct, table("sales", "orders"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, table("sales", "orders"), true, []int64{1}},
		{"account direct other table", []*mesh.Grant{grant(1, acct, table("sales", "orders"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, table("sales", "items"), false, nil},
		{"account direct other permission", []*mesh.Grant{grant(1, acct, table("sales", "orders"), perms(mesh.PermSelect), 0)}, acct, mesh.PermInsert, table("sales", "orders"), false, nil},
		{"user direct table insert", []*mesh.Grant{grant(1, alice, table("sales", "orders"), perms(mesh.PermInsert), 0)}, alice, mesh.PermInsert, table("sales", "orders"), true, []int64{1}},
		{"user via the account only", []*mesh.Grant{grant(1, acct, table("sales", "orders"), perms(mesh.PermSelect), perms(mesh.PermSelect))}, alice, mesh.PermSelect, table("sales", "orders"), false, nil},
		{"account wildcard covers a table", []*mesh.Grant{grant(2, acct, allTables("sales"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, table("sales", "new_table"), true, []int64{2}},
		{"user wildcard covers columns", []*mesh.Grant{grant(2, alice, allTables("sales"), perms(mesh.PermSelect), 0)}, alice, mesh.PermSelect, cols("sales", "orders", "id"), true, []int64{2}},
		{"wildcard does not cover the database", []*mesh.Grant{grant(2, acct, allTables("sales"), perms(mesh.PermAlter), 0)}, acct, mesh.PermAlter, db("sales"), false, nil},
		{"wildcard in another database", []*mesh.Grant{grant(2, acct, allTables("hr"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, table("sales", "orders"), false, nil},
		{"database create_table", []*mesh.Grant{grant(3, alice, db("sales"), perms(mesh.PermCreateTable), 0)}, alice, mesh.PermCreateTable, db("sales"), true, []int64{3}},
		{"database grant does not cover tables", []*mesh.Grant{grant(3, alice, db("sales"), perms(mesh.PermAll), 0)}, alice, mesh.PermSelect, table("sales", "orders"), false, nil},
		{"ALL implies drop", []*mesh.Grant{grant(4, acct, table("sales", "orders"), perms(mesh.PermAll), 0)}, acct, mesh.PermDrop, table("sales", "orders"), true, []int64{4}},
		{"column list allows its columns", []*mesh.Grant{grant(5, alice, cols("sales", "orders", "id", "total"), perms(mesh.PermSelect), 0)}, alice, mesh.PermSelect, cols("sales", "orders", "total"), true, []int64{5}},
		{"column list denies another column", []*mesh.Grant{grant(5, alice, cols("sales", "orders", "id", "total"), perms(mesh.PermSelect), 0)}, alice, mesh.PermSelect, cols("sales", "orders", "id", "email"), false, nil},
		{"column list denies the whole table", []*mesh.Grant{grant(5, alice, cols("sales", "orders", "id"), perms(mesh.PermSelect), 0)}, alice, mesh.PermSelect, table("sales", "orders"), false, nil},
		{"column list allows describe of the table", []*mesh.Grant{grant(5, alice, cols("sales", "orders", "id"), perms(mesh.PermSelect), 0)}, alice, mesh.PermDescribe, table("sales", "orders"), true, []int64{5}},
		{"column list does not allow insert", []*mesh.Grant{grant(5, acct, cols("sales", "orders", "id"), perms(mesh.PermSelect), 0)}, acct, mesh.PermInsert, table("sales", "orders"), false, nil},
		{"exclude list allows others", []*mesh.Grant{grant(6, acct, except("sales", "orders", "email"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, cols("sales", "orders", "id", "total"), true, []int64{6}},
		{"exclude list denies the excluded", []*mesh.Grant{grant(6, acct, except("sales", "orders", "email"), perms(mesh.PermSelect), 0)}, acct, mesh.PermSelect, cols("sales", "orders", "email"), false, nil},
		{"two column grants union", []*mesh.Grant{grant(7, alice, cols("sales", "orders", "id"), perms(mesh.PermSelect), 0), grant(8, alice, cols("sales", "orders", "total"), perms(mesh.PermSelect), 0)}, alice, mesh.PermSelect, cols("sales", "orders", "id", "total"), true, []int64{7, 8}},
		{"table grant implies describe of database", []*mesh.Grant{grant(9, alice, table("sales", "orders"), perms(mesh.PermSelect), 0)}, alice, mesh.PermDescribe, db("sales"), true, []int64{9}},
		{"pending grant allows nothing", []*mesh.Grant{{ID: 10, Principal: acct, Resource: table("sales", "orders"), Permissions: perms(mesh.PermSelect), Status: mesh.GrantPending}}, acct, mesh.PermSelect, table("sales", "orders"), false, nil},
		{"owner account holds its database", nil, producer, mesh.PermSelect, table("sales", "orders"), true, []int64{}},
		{"owner's users need grants", nil, producer + "/bob", mesh.PermSelect, table("sales", "orders"), false, nil},
		{"central account holds everything", nil, "central", mesh.PermDrop, db("hr"), true, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex("central")
			x.SetOwners(map[string]string{"sales": producer})
			for _, g := range tt.grants {
				x.Put(g)
			}
			d := x.Allowed(tt.p, tt.action, tt.r)
			if d.Allowed != tt.want {
				t.Fatalf("got allowed %v (%s), want %v", d.Allowed, d.Reason, tt.want)
			}
			if tt.want && !slices.Equal(d.Grants, tt.ids) {
				t.Errorf("got grants %v, want %v", d.Grants, tt.ids)
			}
			if !tt.want && d.Reason == "" {
				t.Error("got no reason for a denial, want one")
			}
		})
	}
}

func TestIndexGrantableAndRevoke(t *testing.T) {
	x := NewIndex("central")
	acct := mesh.Principal(consumer)
	x.Put(grant(1, acct, table("sales", "orders"), perms(mesh.PermSelect, mesh.PermDescribe), perms(mesh.PermSelect)))
	tests := []struct {
		action mesh.Permission
		r      mesh.Resource
		want   bool
	}{
		{mesh.PermSelect, table("sales", "orders"), true},
		{mesh.PermSelect, cols("sales", "orders", "id"), true},
		{mesh.PermDescribe, table("sales", "orders"), false},
		{mesh.PermSelect, allTables("sales"), false},
	}
	for _, tt := range tests {
		if got := x.Grantable(acct, tt.action, tt.r).Allowed; got != tt.want {
			t.Errorf("grantable %s on %s: got %v, want %v", tt.action, tt.r, got, tt.want)
		}
	}
	x.Remove(1)
	if d := x.Allowed(acct, mesh.PermSelect, table("sales", "orders")); d.Allowed {
		t.Errorf("after revocation: got allowed by %v, want denied", d.Grants)
	}
	if x.Len() != 0 {
		t.Errorf("got %d grants left, want 0", x.Len())
	}
}

// TestIndexManyTables crosses from the short table list to the map and back.
func TestIndexManyTables(t *testing.T) {
	x := NewIndex("central")
	acct := mesh.Principal(consumer)
	const n = 3 * maxTableSlice
	for i := range n {
		x.Put(grant(int64(i+1), acct, table("sales", fmt.Sprintf("t%d", i)), perms(mesh.PermSelect), 0))
	}
	for i := range n {
		if d := x.Allowed(acct, mesh.PermSelect, table("sales", fmt.Sprintf("t%d", i))); !d.Allowed || d.Grants[0] != int64(i+1) {
			t.Fatalf("table t%d: got %+v, want allowed by grant %d", i, d, i+1)
		}
	}
	for i := range n - 1 {
		x.Remove(int64(i + 1))
	}
	if x.Allowed(acct, mesh.PermSelect, table("sales", "t0")).Allowed || !x.Allowed(acct, mesh.PermSelect, table("sales", fmt.Sprintf("t%d", n-1))).Allowed {
		t.Error("after removing all but the last: got the wrong tables allowed")
	}
	x.RemoveResource("sales", "")
	if x.Len() != 0 || len(x.nodes) != 0 {
		t.Errorf("after removing the database: got %d grants in %d nodes, want none", x.Len(), len(x.nodes))
	}
}

func TestNeedNamesThePermission(t *testing.T) {
	got := Need(mesh.PermSelect, table("sales", "orders"), true)
	if want := "SELECT WITH GRANT OPTION on table sales.orders"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// benchIndex fills an index with n grants spread over principals, databases and tables.
func benchIndex(n int) (*Index, []mesh.Principal) {
	x := NewIndex("central")
	var principals []mesh.Principal
	for i := range n / 10 {
		principals = append(principals, mesh.Principal(fmt.Sprintf("%012d/user%d", 100000000000+i%1000, i)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		p := principals[i%len(principals)]
		d := fmt.Sprintf("db%d", r.IntN(100))
		var res mesh.Resource
		switch i % 4 {
		case 0:
			res = allTables(d)
		case 1:
			res = cols(d, fmt.Sprintf("t%d", r.IntN(50)), "a", "b", "c")
		default:
			res = table(d, fmt.Sprintf("t%d", r.IntN(50)))
		}
		x.Put(grant(int64(i+1), p, res, perms(mesh.PermSelect, mesh.PermDescribe), 0))
	}
	return x, principals
}

// BenchmarkAllowed measures one decision with 100,000 grants in the index.
func BenchmarkAllowed(b *testing.B) {
	x, principals := benchIndex(100_000)
	// Half the requests name a resource the principal was granted, half a random one.
	type req struct {
		p mesh.Principal
		r mesh.Resource
	}
	reqs := make([]req, 4096)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range reqs {
		p := principals[r.IntN(len(principals))]
		res := cols(fmt.Sprintf("db%d", r.IntN(100)), fmt.Sprintf("t%d", r.IntN(50)), "a")
		if i%2 == 0 {
			for k, n := range x.nodes {
				if k.principal == p && len(n.tables) > 0 {
					res.Database, res.Table = k.database, n.tables[0].table
					break
				}
			}
		}
		reqs[i] = req{p, res}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	allowed := 0
	for i := 0; b.Loop(); i++ {
		q := reqs[i%len(reqs)]
		if x.Allowed(q.p, mesh.PermSelect, q.r).Allowed {
			allowed++
		}
	}
	// CPU time per decision, which a machine busy with other work does not inflate.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
	_ = slices.Equal[[]int64]
}

// TestIndexApplyLinks: links applied by difference replace the link of
// the same account and name, a link goes (by tombstone or in process) only
// while its name still names it, and an unknown tombstone changes nothing.
func TestIndexApplyLinks(t *testing.T) {
	x := NewIndex("central")
	link := func(id int64, name, table string) *mesh.ResourceLink {
		return &mesh.ResourceLink{ID: id, AccountID: "222233334444", Name: name, Database: "sales", Table: table}
	}
	resolves := func(name string) string {
		r, _ := x.ResolveLink("222233334444", mesh.Resource{Database: name})
		return r.String()
	}
	x.ReplaceLinks([]*mesh.ResourceLink{link(1, "shop", "orders")})
	// link 1 deleted and its name made again as link 2, in one refresh
	x.ApplyLinks([]*mesh.ResourceLink{link(2, "shop", "items")}, []int64{1})
	if got, want := resolves("shop"), (mesh.Resource{Database: "sales", Table: "items"}).String(); got != want {
		t.Errorf("after the name's new link: shop resolves to %s, want %s", got, want)
	}
	// a late tombstone of link 1, or its removal in process, leaves link 2;
	// an unknown tombstone changes nothing
	x.ApplyLinks(nil, []int64{1, 99})
	x.RemoveLink(link(1, "shop", "orders"))
	if got, want := resolves("shop"), (mesh.Resource{Database: "sales", Table: "items"}).String(); got != want {
		t.Errorf("after link 1 went again: shop resolves to %s, want %s", got, want)
	}
	x.ApplyLinks(nil, []int64{2})
	if got, want := resolves("shop"), (mesh.Resource{Database: "shop"}).String(); got != want {
		t.Errorf("after link 2's tombstone: shop resolves to %s, want %s (no link)", got, want)
	}
}
