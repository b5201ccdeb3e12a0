package platform

import (
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// quoteDialect writes statements with every identifier in brackets, so a
// test sees exactly which names were quoted.
type quoteDialect struct{ usage bool }

func (d quoteDialect) SchemaUsage() bool { return d.usage }
func (quoteDialect) Grant(role, schema, table string, cols []string, priv string) string {
	return "GRANT " + priv + " [" + schema + "].[" + table + "] " + slicesJoin(cols) + " TO [" + role + "]"
}
func (quoteDialect) Revoke(role, schema, table string, cols []string, priv string) string {
	return "REVOKE " + priv + " [" + schema + "].[" + table + "] " + slicesJoin(cols) + " FROM [" + role + "]"
}
func (quoteDialect) RevokeOn(role, on, priv string) string {
	return "REVOKE " + priv + " " + on + " FROM [" + role + "]"
}
func (quoteDialect) RevokeRole(role, of string) string {
	return "REVOKE [" + of + "] FROM [" + role + "]"
}
func (quoteDialect) CreateRole(role string) string { return "CREATE ROLE [" + role + "]" }
func (quoteDialect) RoleName(name string) string   { return FitName(name, 63) }
func slicesJoin(cols []string) string {
	s := ""
	for _, c := range cols {
		s += "[" + c + "]"
	}
	return s
}

func testScope(usage bool) *scope {
	rec := &store.PlatformRecord{Name: "p", RoleMode: RolesPerUser}
	return &scope{rec: rec, d: quoteDialect{usage}, database: "p-s", schema: "S",
		tables: map[string]string{"t": "T", "u": "U"},
		cols:   map[string]map[string]string{"t": {"a": "A", "b": "B", "c": "C"}},
		order:  map[string][]string{"t": {"a", "b", "c"}},
		native: map[string]bool{"T": true, "U": true}}
}

func TestDesired(t *testing.T) {
	alice := mesh.UserPrincipal("222233334444", "alice")
	role := "mg_222233334444_alice"
	sel := mesh.PermSelect.Bit()
	tests := []struct {
		name  string
		usage bool
		grant mesh.Grant
		want  []Privilege
	}{
		{"columns", false, mesh.Grant{Principal: alice, Resource: mesh.Resource{Database: "p-s", Table: "t", Columns: []string{"a", "b"}}, Permissions: sel, Status: mesh.GrantActive},
			[]Privilege{{role, "S", "T", "A", "SELECT", ""}, {role, "S", "T", "B", "SELECT", ""}}},
		{"excluded columns are the complement", false, mesh.Grant{Principal: alice, Resource: mesh.Resource{Database: "p-s", Table: "t", ExcludedColumns: []string{"c"}}, Permissions: sel, Status: mesh.GrantActive},
			[]Privilege{{role, "S", "T", "A", "SELECT", ""}, {role, "S", "T", "B", "SELECT", ""}}},
		{"all tables, with schema usage", true, mesh.Grant{Principal: alice, Resource: mesh.Resource{Database: "p-s", Table: "*"}, Permissions: sel | mesh.PermInsert.Bit(), Status: mesh.GrantActive},
			[]Privilege{{role, "S", "", "", "USAGE", ""}, {role, "S", "T", "", "INSERT", ""}, {role, "S", "T", "", "SELECT", ""}, {role, "S", "U", "", "INSERT", ""}, {role, "S", "U", "", "SELECT", ""}}},
		{"ALL is what meshgate can map", false, mesh.Grant{Principal: alice, Resource: mesh.Resource{Database: "p-s", Table: "u"}, Permissions: mesh.PermAll.Bit(), Status: mesh.GrantActive},
			[]Privilege{{role, "S", "U", "", "DELETE", ""}, {role, "S", "U", "", "INSERT", ""}, {role, "S", "U", "", "SELECT", ""}}},
		{"a pending grant holds nothing", false, mesh.Grant{Principal: alice, Resource: mesh.Resource{Database: "p-s", Table: "u"}, Permissions: sel, Status: mesh.GrantPending}, nil},
		{"an account's own grant holds nothing", false, mesh.Grant{Principal: "222233334444", Resource: mesh.Resource{Database: "p-s", Table: "u"}, Permissions: sel, Status: mesh.GrantActive}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keys(testScope(tt.usage).desired([]*mesh.Grant{&tt.grant}))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func keys(m map[Privilege]bool) []Privilege {
	var out []Privilege
	for p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Privilege) int {
		for _, c := range [][2]string{{a.Table, b.Table}, {a.Column, b.Column}, {a.Priv, b.Priv}} {
			if c[0] != c[1] {
				if c[0] < c[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
	return out
}

func TestStatementsRevokeFirstColumnsTogether(t *testing.T) {
	r := "mg_x"
	grant := []Privilege{{r, "S", "T", "B", "SELECT", ""}, {r, "S", "T", "A", "SELECT", ""}, {r, "S", "", "", "USAGE", ""}}
	revoke := []Privilege{{r, "S", "U", "", "SELECT", ""}}
	got := statements(quoteDialect{true}, grant, revoke)
	want := []string{"REVOKE SELECT [S].[U]  FROM [mg_x]", "GRANT USAGE [S].[]  TO [mg_x]", "GRANT SELECT [S].[T] [A][B] TO [mg_x]"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRetakenColumns: a table-level revoke takes the table's column
// privileges too (PostgreSQL, MariaDB): the ones meshgate keeps are granted
// again after it.
func TestRetakenColumns(t *testing.T) {
	r := "mg_x"
	want := map[Privilege]bool{{r, "S", "T", "A", "SELECT", ""}: true, {r, "S", "T", "B", "SELECT", ""}: true, {r, "S", "U", "A", "SELECT", ""}: true}
	have := map[Privilege]bool{{r, "S", "T", "A", "SELECT", ""}: true, {r, "S", "T", "B", "SELECT", ""}: true, {r, "S", "U", "A", "SELECT", ""}: true,
		{r, "S", "T", "", "SELECT", ""}: true} // the whole table, by hand
	grant, revoke := diff(want, have)
	got := statements(quoteDialect{true}, append(grant, retaken(want, have, revoke)...), revoke)
	wanted := []string{"REVOKE SELECT [S].[T]  FROM [mg_x]", "GRANT SELECT [S].[T] [A][B] TO [mg_x]"}
	if !slices.Equal(got, wanted) {
		t.Errorf("got %q, want %q", got, wanted)
	}
}

func TestCatalogName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"orders", "orders"},
		{"Orders", "orders-"},
		{`Orders "2026"`, "orders__2026_-"},
	} {
		got := catalogName(tt.in)
		if got != tt.want && (tt.want[len(tt.want)-1] != '-' || len(got) != len(tt.want)+6 || got[:len(tt.want)] != tt.want) {
			t.Errorf("catalogName(%q): got %q, want %q", tt.in, got, tt.want)
		}
		if err := mesh.ValidateName("name", got); err != nil {
			t.Errorf("catalogName(%q) = %q is no catalog name: %v", tt.in, got, err)
		}
	}
	if catalogName("Orders") == catalogName("ORDERS") {
		t.Error("Orders and ORDERS map to one catalog name")
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempts int
		want     string
	}{{1, "1s"}, {2, "2s"}, {4, "8s"}, {30, "5m0s"}} {
		if got := backoff(tt.attempts).String(); got != tt.want {
			t.Errorf("backoff(%d): got %s, want %s", tt.attempts, got, tt.want)
		}
	}
}
