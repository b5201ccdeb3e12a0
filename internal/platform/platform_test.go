package platform_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server"
	"github.com/meshgate/meshgate/internal/server/servertest"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// env is one test's meshgate server, accounts and platform schema.
type env struct {
	srv                         *servertest.Server
	admin                       *client.Client
	consumer                    *client.Client // the consumer account's admin
	producer, consumerID, alice string
	f                           *fixture
	schema, table, other        string
	name                        string // the platform's name in meshgate
}

func newEnv(t testing.TB, storeKind string, f *fixture) *env {
	t.Helper()
	ctx := context.Background()
	srv, admin := servertest.New(t, servertest.Options{Store: storeKind,
		Config: server.Config{Organization: "o-acme", PlatformReconcileInterval: -1}})
	e := &env{srv: srv, admin: admin, f: f, producer: "1" + randomDigits(11), consumerID: "2" + randomDigits(11),
		alice: "Alice.x" + randomHex(4), name: "p" + randomHex(4)}
	for _, id := range []string{e.producer, e.consumerID} {
		if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: id, Name: "acct " + id, Organization: "o-acme"}); err != nil {
			t.Fatal(err)
		}
	}
	boss, err := admin.CreateUser(ctx, e.consumerID, client.UserInput{Username: "boss" + randomHex(4), Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, e.consumerID, client.UserInput{Username: e.alice, Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.IssueToken(ctx, boss.User.ID, "boss", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.consumer = srv.Client().WithToken(tok.Secret)

	// Names with quotes, spaces and capitals.
	e.schema = `Mg "Sales" ` + randomHex(4)
	e.table, e.other = `Orders "2026"`, "Other Table"
	q := f.q
	if f.kind == "postgres" {
		f.exec(t, "CREATE SCHEMA "+q(e.schema))
		f.exec(t, "COMMENT ON SCHEMA "+q(e.schema)+" IS 'sales data'")
		f.exec(t, "CREATE TABLE "+q(e.schema, e.table)+` ("Id" int, "Customer Name" text, "secret""col" text)`)
		f.exec(t, "COMMENT ON TABLE "+q(e.schema, e.table)+" IS 'orders'")
		f.exec(t, "COMMENT ON COLUMN "+q(e.schema, e.table, "Id")+" IS 'the key'")
		f.exec(t, "CREATE TABLE "+q(e.schema, e.other)+` (x int)`)
		t.Cleanup(func() { f.exec(t, "DROP SCHEMA IF EXISTS "+q(e.schema)+" CASCADE") })
	} else {
		f.exec(t, "CREATE DATABASE "+q(e.schema))
		f.exec(t, "CREATE TABLE "+q(e.schema, e.table)+" (`Id` int COMMENT 'the key', `Customer Name` text, `secret\"col` text) COMMENT 'orders'")
		f.exec(t, "CREATE TABLE "+q(e.schema, e.other)+" (x int)")
		t.Cleanup(func() { f.exec(t, "DROP DATABASE IF EXISTS "+q(e.schema)) })
	}
	t.Cleanup(func() { dropRole(t, f, e.role()) })
	return e
}

// kindEnv returns an env on SQLite beside a platform of kind ("postgres"
// or "mariadb"), not registered yet.
func kindEnv(t testing.TB, kind string) *env {
	t.Helper()
	f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
	return newEnv(t, "sqlite", f)
}

// syncedEnv returns an env on SQLite beside a platform of kind ("postgres"
// or "mariadb"), registered and synced once.
func syncedEnv(t testing.TB, kind string) *env {
	t.Helper()
	e := kindEnv(t, kind)
	e.register(t)
	if _, err := e.admin.SyncPlatform(context.Background(), e.name); err != nil {
		t.Fatalf("sync: %v", err)
	}
	return e
}

// dropRole drops a role meshgate created, with what it holds.
func dropRole(t testing.TB, f *fixture, role string) {
	q := f.q
	if f.kind == "postgres" {
		lit := func(s string) string { return strings.ReplaceAll(s, "'", "''") }
		f.exec(t, `DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+lit(role)+`') THEN EXECUTE 'DROP OWNED BY `+lit(q(role))+`'; EXECUTE 'DROP ROLE `+lit(q(role))+`'; END IF; END $$`)
	} else {
		f.exec(t, "DROP ROLE IF EXISTS "+q(role))
	}
}

// database returns the catalog database the platform's schema became.
func (e *env) database(t testing.TB) string {
	t.Helper()
	dbs, err := e.admin.ListDatabases(context.Background(), client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs.Databases {
		if strings.HasPrefix(d.Name, e.name+"-") {
			return d.Name
		}
	}
	t.Fatalf("no database of platform %s in the catalog", e.name)
	return ""
}

// metrics returns the server's /metrics text.
func (e *env) metrics(t testing.TB) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func randomDigits(n int) string {
	h := randomHex(n)
	b := []byte(h[:n])
	for i, c := range b {
		if c > '9' {
			b[i] = '0' + (c-'a')%10
		}
	}
	return string(b)
}

// grantAliceAll has the producer's admin grant the consumer SELECT, with
// the grant option, on every table of the synced database, and the
// consumer grant it to alice, and waits until the platform applied them;
// it returns alice's grant.
func (e *env) grantAliceAll(t testing.TB) client.GrantInput {
	t.Helper()
	ctx := context.Background()
	all := client.Resource{Database: e.database(t), Table: "*"}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: all, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	alice := client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: all, Permissions: []string{"SELECT"}}
	if _, err := e.consumer.Grant(ctx, alice); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	return alice
}

func (e *env) role() string { return "mg_" + e.consumerID + "_" + e.alice }

func (e *env) register(t testing.TB) {
	t.Helper()
	in := client.PlatformInput{Name: e.name, Kind: e.f.kind, DSN: e.f.dsn, AccountID: e.producer, Schemas: []string{e.schema}}
	if _, err := e.admin.RegisterPlatform(context.Background(), in); err != nil {
		t.Fatalf("register: %v", err)
	}
}

// waitInForce waits until every grant on the platform is in force and its outbox is empty.
func (e *env) waitApplied(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := e.admin.Platform(ctx, e.name)
		if err != nil {
			t.Fatal(err)
		}
		sts, err := e.admin.PlatformGrants(ctx, e.name)
		if err != nil {
			t.Fatal(err)
		}
		done, waiting := p.Pending == 0, 0
		for _, st := range sts {
			if st.State != "in_force" {
				done = false
				waiting++
				if st.State == "failed" {
					t.Fatalf("grant %d failed on %s: %s", st.GrantID, e.name, st.Error)
				}
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform did not apply its outbox: %d entries pending, %d grants not in force", p.Pending, waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPlatformEnforcesGrants(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		for _, storeKind := range storetest.Kinds() {
			t.Run(kind+"/"+storeKind, func(t *testing.T) {
				f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
				testEnforce(t, newEnv(t, storeKind, f))
			})
		}
	}
}

func testEnforce(t testing.TB, e *env) {
	ctx := context.Background()
	q := e.f.q
	e.register(t)
	rep, err := e.admin.SyncPlatform(ctx, e.name)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(rep.Added) != 3 {
		t.Errorf("sync added %v, want the database and two tables", rep.Added)
	}
	dbs, err := e.admin.ListDatabases(ctx, client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var db string
	for _, d := range dbs.Databases {
		if strings.HasPrefix(d.Name, e.name+"-") {
			db = d.Name
			if d.Parameters[mesh.ParamDataOwner] != e.producer || !strings.HasPrefix(d.LocationURI, e.f.kind+"://"+e.name+"/") {
				t.Errorf("imported database: got %+v, want owner %s and a location naming the platform", d, e.producer)
			}
		}
	}
	tables, err := e.admin.ListTables(ctx, db, client.CatalogListOptions{})
	if err != nil || len(tables.Tables) != 2 {
		t.Fatalf("tables of %s: got %+v (%v), want two", db, tables, err)
	}
	var orders *client.Table
	for i := range tables.Tables {
		if tables.Tables[i].Description == "orders" {
			orders = &tables.Tables[i]
		}
	}
	if orders == nil || len(orders.Columns) != 3 || orders.Columns[0].Comment != "the key" {
		t.Fatalf("got %+v, want the orders table with its three columns and comments", tables.Tables)
	}
	cols := []string{orders.Columns[0].Name, orders.Columns[1].Name, orders.Columns[2].Name}

	// pii_flag set in meshgate survives a re-sync.
	sys := mesh.NewContext(ctx, mesh.SystemActor("central"))
	tb, err := e.srv.Catalog.FindTable(sys, db, orders.Name)
	if err != nil {
		t.Fatal(err)
	}
	tb.Columns[2].Parameters = map[string]string{mesh.ParamPIIFlag: "true"}
	if _, err := e.srv.Catalog.UpdateTable(sys, db, orders.Name, catalog.TableUpdate{Columns: tb.Columns}, tb.Version); err != nil {
		t.Fatal(err)
	}
	// The platform changes the table's comments: the re-sync rewrites its
	// columns, and keeps meshgate's parameter.
	if e.f.kind == "postgres" {
		e.f.exec(t, "COMMENT ON COLUMN "+q(e.schema, e.table, `secret"col`)+" IS 'personal'")
	} else {
		e.f.exec(t, "ALTER TABLE "+q(e.schema, e.table)+" MODIFY "+q(`secret"col`)+" text COMMENT 'personal'")
	}
	rep, err = e.admin.SyncPlatform(ctx, e.name)
	if err != nil || len(rep.Changed) != 1 || len(rep.Added)+len(rep.Dropped) != 0 {
		t.Errorf("re-sync: got %+v (%v), want the orders table changed", rep, err)
	}
	if tb, _ = e.srv.Catalog.FindTable(sys, db, orders.Name); !tb.Columns[2].PII() || tb.Columns[2].Comment != "personal" {
		t.Errorf("after a re-sync: got %+v, want the new comment with pii_flag kept", tb.Columns[2])
	}

	// The consumer account gets two columns with grant option, and grants them to alice.
	res := client.Resource{Database: db, Table: orders.Name, Columns: cols[:2]}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: res, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		t.Fatalf("grant to the account: %v", err)
	}
	plan, err := e.consumer.PlanPlatforms(ctx, client.PlanInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}})
	if err == nil || !strings.Contains(err.Error(), "admins") {
		t.Errorf("a consumer's admin asks a producer platform's plan: got %v %v, want forbidden", plan, err)
	}
	plan, err = e.admin.PlanPlatforms(ctx, client.PlanInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}})
	if err != nil || len(plan) != 1 || !slices.ContainsFunc(plan[0].Statements, func(s string) bool {
		return strings.HasPrefix(s, "GRANT SELECT (") && strings.Contains(s, q(e.schema, e.table))
	}) {
		t.Errorf("plan: got %+v (%v), want a quoted column grant", plan, err)
	}
	g, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}})
	if err != nil {
		t.Fatalf("grant to alice: %v", err)
	}
	e.waitApplied(t)
	sel := "SELECT " + q("Id") + ", " + q("Customer Name") + " FROM " + q(e.schema, e.table)
	if err := e.f.queryAs(t, e.role(), sel); err != nil {
		t.Fatalf("alice reads her two columns: %v", err)
	}
	for _, refused := range []string{
		"SELECT " + q(`secret"col`) + " FROM " + q(e.schema, e.table),
		"SELECT * FROM " + q(e.schema, e.other),
	} {
		if err := e.f.queryAs(t, e.role(), refused); !denied(err) {
			t.Errorf("%s: got %v, want the platform to refuse it", refused, err)
		}
	}

	// Drift: grants and a revoke by hand, and an unmanaged role's grant.
	// The whole orders table granted by hand is revoked; that revoke takes
	// alice's columns too, which the repair grants again.
	other := "unmanaged_" + randomHex(4)
	if e.f.kind == "postgres" {
		e.f.exec(t, "CREATE ROLE "+q(other))
		t.Cleanup(func() { e.f.exec(t, "DROP OWNED BY "+q(other)+"; DROP ROLE "+q(other)) })
		e.f.exec(t, "GRANT SELECT ON "+q(e.schema, e.other)+" TO "+q(e.role()))
		e.f.exec(t, "REVOKE SELECT ("+q("Id")+") ON "+q(e.schema, e.table)+" FROM "+q(e.role()))
	} else {
		e.f.exec(t, "CREATE ROLE "+q(other))
		t.Cleanup(func() { e.f.exec(t, "DROP ROLE "+q(other)) })
		e.f.exec(t, "GRANT SELECT ON "+q(e.schema, e.other)+" TO "+q(e.role()))
		e.f.exec(t, "REVOKE SELECT ("+q("Id")+") ON "+q(e.schema, e.table)+" FROM "+q(e.role()))
	}
	e.f.exec(t, "GRANT SELECT ON "+q(e.schema, e.table)+" TO "+q(e.role()))
	e.f.exec(t, "GRANT SELECT ON "+q(e.schema, e.other)+" TO "+q(other))
	rec, err := e.admin.ReconcilePlatform(ctx, e.name)
	if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 3 || len(rec.Databases[0].Statements) != 3 {
		t.Fatalf("reconcile: got %+v (%v), want three differences repaired in three statements", rec, err)
	}
	if err := e.f.queryAs(t, e.role(), sel); err != nil {
		t.Errorf("after repair alice reads her columns again: %v", err)
	}
	if err := e.f.queryAs(t, e.role(), "SELECT "+q(`secret"col`)+" FROM "+q(e.schema, e.table)); !denied(err) {
		t.Errorf("after repair the hand-made grant of the whole table is gone: got %v", err)
	}
	if err := e.f.queryAs(t, e.role(), "SELECT * FROM "+q(e.schema, e.other)); !denied(err) {
		t.Errorf("after repair the hand-made grant is gone: got %v", err)
	}
	if !e.f.held(t, other, e.schema, e.other) {
		t.Errorf("reconcile took an unmanaged role's grant")
	}
	audit, err := e.admin.ListAudit(ctx, client.AuditFilter{Action: "platform.repair"}, client.ListOptions{})
	if err != nil || len(audit.Entries) != 3 {
		t.Errorf("audit of repairs: got %+v (%v), want three entries", audit, err)
	}
	if m := e.metrics(t); !strings.Contains(m, "meshgate_platform_drift_found_total 3") || !strings.Contains(m, "meshgate_platform_drift_repaired_total 3") {
		t.Errorf("/metrics after the repair: want drift found 3 and repaired 3, got\n%s", grepLines(m, "meshgate_platform_"))
	}
	if rec, _ := e.admin.ReconcilePlatform(ctx, e.name); rec.Databases[0].Found != 0 {
		t.Errorf("a second reconcile: got %+v, want nothing to repair", rec)
	}

	// Revoke: the same query is refused.
	if _, err := e.consumer.Revoke(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	e.waitApplied(t)
	if err := e.f.queryAs(t, e.role(), sel); !denied(err) {
		t.Errorf("after the revoke: got %v, want the platform to refuse", err)
	}
	sts, _ := e.admin.PlatformGrants(ctx, e.name)
	if slices.ContainsFunc(sts, func(s client.PlatformGrantStatus) bool { return s.GrantID == g.ID }) {
		t.Errorf("a revoked grant keeps a state: %+v", sts)
	}

	// A table dropped on the platform: the next sync says so and ends its grants.
	otherName := ""
	for _, tt := range tables.Tables {
		if tt.Name != orders.Name {
			otherName = tt.Name
		}
	}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: client.Resource{Database: db, Table: otherName}, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	e.f.exec(t, "DROP TABLE "+q(e.schema, e.other))
	rep, err = e.admin.SyncPlatform(ctx, e.name)
	if err != nil || len(rep.Dropped) != 1 || len(rep.EndedGrants) != 1 {
		t.Errorf("sync after a drop: got %+v (%v), want the table dropped and its grant ended", rep, err)
	}
	if gs, _, err := e.admin.Grants(ctx, client.GrantsFilter{Database: db, Table: otherName}); err != nil || len(gs) != 0 {
		t.Errorf("grants on the dropped table: got %+v (%v), want none", gs, err)
	}
}

func TestRegisterRefusesBadConnections(t *testing.T) {
	f := pgFixture(t)
	_, admin := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "p"}); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(f.dsn, "/test?", "/no_such_db_"+randomHex(3)+"?", 1)
	withPW := strings.Replace(f.dsn, "postgres@", "postgres:hunter2@", 1)
	for _, tt := range []struct{ name, dsn, env, want string }{
		{"unknown database", bad, "", "does not exist"},
		{"password in the DSN", withPW, "", "holds a password"},
		{"unset password variable", f.dsn, "MG_TEST_UNSET_" + randomHex(3), "is not set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.RegisterPlatform(ctx, client.PlatformInput{Name: "pg", Kind: "postgres", DSN: tt.dsn, PasswordEnv: tt.env, AccountID: "111122223333", Schemas: []string{"public"}})
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want 400 naming %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v", err)
			}
			ps, err := admin.Platforms(ctx)
			if err != nil || len(ps) != 0 {
				t.Errorf("got %+v (%v), want nothing stored", ps, err)
			}
		})
	}
}

func TestRegisterRefusesWrongPassword(t *testing.T) {
	f := mariaFixture(t)
	_, admin := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "p"}); err != nil {
		t.Fatal(err)
	}
	env := "MG_TEST_MARIADB_PW_" + randomHex(3)
	secret := "wrong-" + randomHex(6)
	t.Setenv(env, secret)
	_, err := admin.RegisterPlatform(ctx, client.PlatformInput{Name: "mdb", Kind: "mariadb", DSN: f.dsn, PasswordEnv: env, AccountID: "111122223333", Schemas: []string{"test"}})
	if err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("got %v, want the platform's refusal", err)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("the refusal repeats the password: %v", err)
	}
	if ps, err := admin.Platforms(ctx); err != nil || len(ps) != 0 {
		t.Errorf("got %+v (%v), want nothing stored", ps, err)
	}
}

// TestRegisterRefusesRoleNamesThePlatformCannotHold: a fixed mapping's role
// longer than the platform allows, or holding a NUL, would be quoted as
// another name than the one looked up (PostgreSQL cuts names at 63 bytes and
// drops NULs) or refused at every grant (MariaDB); registration refuses it,
// naming the mapping.
func TestRegisterRefusesRoleNamesThePlatformCannotHold(t *testing.T) {
	_, admin := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	if _, err := admin.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "p"}); err != nil {
		t.Fatal(err)
	}
	// Nothing listens there: a name that passed would fail on the connection instead.
	dsns := map[string]string{"postgres": "postgres://meshgate@127.0.0.1:1/x", "mariadb": "meshgate@tcp(127.0.0.1:1)/x"}
	for _, tt := range []struct{ kind, role, want string }{
		{"postgres", strings.Repeat("r", 64), "63 bytes"},
		{"postgres", strings.Repeat("é", 32), "63 bytes"},
		{"postgres", "ana\x00lyst", "NUL"},
		{"mariadb", strings.Repeat("r", 129), "128 characters"},
		{"mariadb", "ana\x00lyst", "NUL"},
		{"mariadb", "analyst 😀", "outside"},
	} {
		t.Run(tt.kind+"/"+tt.want, func(t *testing.T) {
			in := client.PlatformInput{Name: "p", Kind: tt.kind, DSN: dsns[tt.kind], AccountID: "111122223333", Schemas: []string{"s"},
				Roles: map[string]string{"222233334444/ada": "ok", "222233334444/bob": tt.role}}
			_, err := admin.RegisterPlatform(ctx, in)
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || ce.Field != "roles.222233334444/bob" || !strings.Contains(ce.Message, tt.want) {
				t.Errorf("got %v, want 400 on roles.222233334444/bob naming %q", err, tt.want)
			}
		})
	}
	for kind, n := range map[string]int{"postgres": 63, "mariadb": 128} {
		in := client.PlatformInput{Name: "p", Kind: kind, DSN: dsns[kind], AccountID: "111122223333", Schemas: []string{"s"},
			Roles: map[string]string{"222233334444/ada": strings.Repeat("r", n)}}
		if _, err := admin.RegisterPlatform(ctx, in); err == nil || !strings.Contains(err.Error(), "dsn:") {
			t.Errorf("%s: a role of %d characters: got %v, want it accepted and the connection refused", kind, n, err)
		}
	}
}
