package platform_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/client"
)

// memberOf reports whether role is a member of of, as the platform's catalogs say.
func memberOf(t testing.TB, f *fixture, role, of string) bool {
	t.Helper()
	if f.kind == "postgres" {
		return f.queryBool(t, `SELECT EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid WHERE m.rolname = $1 AND g.rolname = $2)`, role, of)
	}
	return f.queryBool(t, "SELECT COUNT(*) > 0 FROM mysql.roles_mapping WHERE Host = '' AND User = ? AND Role = ?", role, of)
}

// readerRoles creates a role holding SELECT on the other table, a role
// holding it only through its membership in the first, and a role
// holding nothing on the imported tables; the test drops them.
func readerRoles(t testing.TB, e *env) (reader, middle, unrelated string) {
	t.Helper()
	f, q := e.f, e.f.q
	reader, middle, unrelated = "mgt_reader_"+randomHex(4), "mgt_middle_"+randomHex(4), "mgt_unrelated_"+randomHex(4)
	for _, r := range []string{reader, middle, unrelated} {
		f.exec(t, "CREATE ROLE "+q(r))
		t.Cleanup(func() { dropRole(t, f, r) })
	}
	if f.kind == "postgres" {
		f.exec(t, "GRANT USAGE ON SCHEMA "+q(e.schema)+" TO "+q(reader))
	}
	f.exec(t, "GRANT SELECT ON "+q(e.schema, e.other)+" TO "+q(reader))
	f.exec(t, "GRANT "+q(reader)+" TO "+q(middle))
	return reader, middle, unrelated
}

// registerSynced registers the platform and syncs it, alice's role being
// meshgate's per-user role or, with fixed, one the test creates, with a
// name that needs quoting, that a fixed mapping names for her; it returns
// alice's role.
func (e *env) registerSynced(t testing.TB, fixed bool) string {
	t.Helper()
	ctx := context.Background()
	f, q := e.f, e.f.q
	role := e.role()
	if fixed {
		role = "mgt Analyst\"`" + randomHex(4)
		f.exec(t, "CREATE ROLE "+q(role))
		t.Cleanup(func() { dropRole(t, f, role) })
		in := client.PlatformInput{Name: e.name, Kind: f.kind, DSN: f.dsn, AccountID: e.producer, Schemas: []string{e.schema},
			Roles: map[string]string{e.consumerID + "/" + e.alice: role}}
		if _, err := e.admin.RegisterPlatform(ctx, in); err != nil {
			t.Fatal(err)
		}
	} else {
		e.register(t)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	return role
}

// TestPlatformMembershipsAreDrift makes meshgate's role of alice, after her
// grant is revoked, a member by hand of a role that reads an imported
// table through a role it is a member of, and of a role that holds
// nothing there. Alice's login, a member of her role as the README says,
// reads the table through the membership, which drift detection did not
// see. Reconcile ends the membership that reaches the table (a per-user
// role is wholly meshgate's), and keeps the other, the login's, and what
// the roles themselves hold. On PostgreSQL a role with meshgate's prefix
// that can log in is someone's account: its membership is reported, not
// ended.
func TestPlatformMembershipsAreDrift(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := syncedEnv(t, kind)
			f, ctx := e.f, context.Background()
			q := f.q
			alice := e.grantAliceAll(t)
			if _, err := e.consumer.Revoke(ctx, alice); err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			reader, middle, unrelated := readerRoles(t, e)
			for _, r := range []string{middle, unrelated} {
				f.exec(t, "GRANT "+q(r)+" TO "+q(e.role()))
			}
			read := "SELECT * FROM " + q(e.schema, e.other)
			// On PostgreSQL queryAs lets the role it is given log in: alice
			// logs in as a role of her own. MariaDB's does so already.
			login := e.role()
			if kind == "postgres" {
				login = "mgt_alice_" + randomHex(4)
				f.exec(t, "CREATE ROLE "+q(login)+" LOGIN")
				t.Cleanup(func() { dropRole(t, f, login) })
				f.exec(t, "GRANT "+q(e.role())+" TO "+q(login))
			}
			if err := f.queryAs(t, login, read); err != nil {
				t.Fatalf("the membership does not let alice read: %v", err)
			}

			rec, err := e.admin.ReconcilePlatform(ctx, e.name)
			want := "REVOKE " + q(middle) + " FROM " + q(e.role())
			if kind == "postgres" {
				want += " CASCADE"
			}
			if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 1 || rec.Databases[0].Error != "" ||
				len(rec.Databases[0].Statements) != 1 || rec.Databases[0].Statements[0] != want {
				t.Fatalf("reconcile: got %+v (%v), want the membership found and ended by %s", rec, err, want)
			}
			if err := f.queryAs(t, login, read); !denied(err) {
				t.Errorf("after the repair: got %v, want the read refused", err)
			}
			if memberOf(t, f, e.role(), middle) || !memberOf(t, f, e.role(), unrelated) || !memberOf(t, f, middle, reader) {
				t.Error("the repair did not end exactly the membership that reaches the table")
			}
			if !f.held(t, reader, e.schema, e.other) {
				t.Error("the repair took a privilege of a role meshgate does not manage")
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("a second reconcile: got %+v (%v), want nothing to repair", rec, err)
			}
			if kind == "postgres" && !memberOf(t, f, login, e.role()) {
				t.Error("the repair ended alice's login's membership in her role")
			}

			if kind != "postgres" {
				return
			}
			f.exec(t, "ALTER ROLE "+q(e.role())+" LOGIN")
			f.exec(t, "GRANT "+q(middle)+" TO "+q(e.role()))
			rec, err = e.admin.ReconcilePlatform(ctx, e.name)
			if err != nil || rec.Databases[0].Found != 1 || len(rec.Databases[0].Statements) != 0 || !strings.Contains(rec.Databases[0].Error, "can log in") {
				t.Errorf("reconcile of a role that can log in: got %+v (%v), want the membership reported and not ended", rec, err)
			}
			if !memberOf(t, f, e.role(), middle) {
				t.Error("meshgate ended a membership of a role that can log in")
			}
		})
	}
}

// TestPlatformFixedRoleMembershipIsReported maps alice to an existing
// role, which the operator also makes a member of a role reading an
// imported table. A fixed mapping's role is the organisation's: meshgate
// cannot tell a membership it intends from drift, so reconcile reports
// it, naming the statement that ends it, quoted to run as it is, and how
// to give the role's members what the membership gave them instead;
// alice's grant shows failed, and meshgate does not end the membership.
// Once it is ended by hand, nothing is left to repair and the grant is in
// force.
func TestPlatformFixedRoleMembershipIsReported(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
			e := newEnv(t, "sqlite", f)
			ctx := context.Background()
			q := f.q
			analyst := e.registerSynced(t, true)
			all := client.Resource{Database: e.database(t), Table: "*"}
			if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: all, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
				t.Fatal(err)
			}
			g, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: all, Permissions: []string{"SELECT"}})
			if err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			reader, _, _ := readerRoles(t, e)
			f.exec(t, "GRANT "+q(reader)+" TO "+q(analyst))
			for i := 0; i < 2; i++ {
				rec, err := e.admin.ReconcilePlatform(ctx, e.name)
				if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 1 || len(rec.Databases[0].Statements) != 0 {
					t.Fatalf("reconcile %d: got %+v (%v), want the membership found and no statement", i+1, rec, err)
				}
				revoke := "REVOKE " + q(reader) + " FROM " + q(analyst)
				if kind == "postgres" {
					revoke += " CASCADE"
				}
				for _, want := range []string{"role " + analyst + " is a member of role " + reader, "SELECT on table " + e.schema + "." + e.other,
					"role " + analyst + " is one a fixed mapping names", "stay failed until this is ended by hand", "run " + revoke,
					"grant role " + reader + " to their logins instead of to role " + analyst, "map the principal to a role kept for meshgate's grants alone"} {
					if !strings.Contains(rec.Databases[0].Error, want) {
						t.Errorf("reconcile %d: error %q does not say %q", i+1, rec.Databases[0].Error, want)
					}
				}
			}
			sts, err := e.admin.PlatformGrants(ctx, e.name)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				if st.GrantID == g.ID && (st.State != "failed" || !strings.Contains(st.Error, reader)) {
					t.Errorf("alice's grant: got %+v, want failed naming the membership", st)
				}
			}
			if !memberOf(t, f, analyst, reader) {
				t.Fatal("meshgate ended a membership of a role the fixed mapping names")
			}
			f.exec(t, "REVOKE "+q(reader)+" FROM "+q(analyst))
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("once ended by hand: got %+v (%v), want nothing to repair", rec, err)
			}
			if sts, err := e.admin.PlatformGrants(ctx, e.name); err != nil || len(sts) != 1 || sts[0].GrantID != g.ID || sts[0].State != "in_force" {
				t.Errorf("alice's grant once the membership ended: got %+v (%v), want it in force", sts, err)
			}
		})
	}
}

// TestPlatformLoginUserKeepsItsMemberships registers PostgreSQL with a
// login user whose name has meshgate's prefix, so that per-user mode
// counts it as managed, and which is a member of a role reading an
// imported table: the platform user's memberships are how it may grant,
// and reconcile neither reports nor ends them.
func TestPlatformLoginUserKeepsItsMemberships(t *testing.T) {
	f := pgFixture(t)
	e := newEnv(t, "sqlite", f)
	ctx := context.Background()
	q := f.q
	login := "mg_login_" + randomHex(4)
	f.exec(t, "CREATE ROLE "+q(login)+" LOGIN SUPERUSER")
	t.Cleanup(func() { dropRole(t, f, login) })
	reader, _, _ := readerRoles(t, e)
	f.exec(t, "GRANT "+q(reader)+" TO "+q(login))
	cfg, err := pgx.ParseConfig(f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	dsn := strings.Replace(f.dsn, "://"+cfg.User+"@", "://"+login+"@", 1)
	in := client.PlatformInput{Name: e.name, Kind: f.kind, DSN: dsn, AccountID: e.producer, Schemas: []string{e.schema}}
	if _, err := e.admin.RegisterPlatform(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	e.grantAliceAll(t)
	if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
		t.Errorf("reconcile: got %+v (%v), want nothing to repair", rec, err)
	}
	if !memberOf(t, f, login, reader) {
		t.Error("the platform user lost its membership")
	}
}

// TestPlanSaysWhatTheApplyEndsOrReports: a plan says what the apply does
// with what reaches the imported tables through the plan's role from
// beyond them. alice's per-user role is made a member, by hand, of a role
// reading an imported table (and, on MariaDB, given DELETE on every
// database): the plan of her grant's revoke ends with the statements that
// end them, and the revoke's apply runs them. A role a fixed mapping names,
// in such a membership, gets a plan whose note reports it, naming the
// statement to run by hand, and no statement that ends it.
func TestPlanSaysWhatTheApplyEndsOrReports(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		for _, fixed := range []bool{false, true} {
			name := kind + "/" + map[bool]string{false: "per-user", true: "fixed"}[fixed]
			t.Run(name, func(t *testing.T) {
				f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
				testPlanBeyond(t, newEnv(t, "sqlite", f), fixed)
			})
		}
	}
}

func testPlanBeyond(t *testing.T, e *env, fixed bool) {
	ctx := context.Background()
	f, q := e.f, e.f.q
	alice := e.consumerID + "/" + e.alice
	role := e.registerSynced(t, fixed)
	grant := e.grantAliceAll(t)
	_, middle, _ := readerRoles(t, e)
	f.exec(t, "GRANT "+q(middle)+" TO "+q(role))
	ends := []string{"REVOKE " + q(middle) + " FROM " + q(role)}
	if f.kind == "postgres" {
		ends[0] += " CASCADE"
	} else {
		f.exec(t, "GRANT DELETE ON *.* TO "+q(role))
		ends = append([]string{"REVOKE DELETE ON *.* FROM " + q(role)}, ends...)
	}

	ps, err := e.admin.PlanPlatforms(ctx, client.PlanInput{Principal: alice, Resource: client.Resource{Database: e.database(t), Table: "*"},
		Permissions: []string{"SELECT"}, Revoke: true})
	if err != nil || len(ps) != 1 || len(ps[0].Statements) == 0 || !strings.HasPrefix(ps[0].Statements[0], "REVOKE SELECT") {
		t.Fatalf("plan of alice's revoke: got %+v (%v), want the revoke's statements", ps, err)
	}
	p := ps[0]
	if fixed {
		if slices.ContainsFunc(ends, func(s string) bool { return slices.Contains(p.Statements, s) }) {
			t.Errorf("plan: got statements %q, want none ending what the fixed mapping's role holds", p.Statements)
		}
		for _, want := range append([]string{"the apply runs these and reports", "role " + role + " is a member of role " + middle, "stay failed until this is ended by hand"}, ends...) {
			if !strings.Contains(p.Note, want) {
				t.Errorf("plan: note %q does not say %q", p.Note, want)
			}
		}
		return
	}
	if got := p.Statements[len(p.Statements)-len(ends):]; !slices.Equal(got, ends) || p.Note != "" {
		t.Fatalf("plan: got statements %q ending with %q and note %q, want them ending with %q and no note", p.Statements, got, p.Note, ends)
	}
	if _, err := e.consumer.Revoke(ctx, grant); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	if memberOf(t, f, role, middle) {
		t.Error("the revoke's apply did not end the membership the plan said it ends")
	}
	if f.kind == "mariadb" && f.queryBool(t, "SELECT COUNT(*) > 0 FROM mysql.user WHERE User = ? AND Host = '' AND Delete_priv = 'Y'", role) {
		t.Error("the revoke's apply did not revoke DELETE ON *.*, which the plan said it revokes")
	}
}
