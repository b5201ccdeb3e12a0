package platform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshgate/meshgate/client"
)

// grantable reports whether role may pass SELECT on the table on, as the
// platform's catalogs say.
func grantable(t testing.TB, f *fixture, role, schema, table string) bool {
	t.Helper()
	var stmt string
	var args []any
	if f.kind == "postgres" {
		stmt = `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) THEN has_table_privilege($1, $2, 'SELECT WITH GRANT OPTION') ELSE false END`
		args = []any{role, f.q(schema, table)}
	} else {
		stmt = "SELECT COUNT(*) > 0 FROM mysql.tables_priv WHERE User = ? AND Db = ? AND Table_name = ? AND FIND_IN_SET('Grant', Table_priv)"
		args = []any{role, schema, table}
	}
	return f.queryBool(t, stmt, args...)
}

// TestPlatformRevokesGrantOptionGivenByHand gives a managed role, by hand,
// the right to pass on a privilege meshgate granted it: reconcile takes the
// grant option back and keeps the privilege, and a second reconcile finds
// nothing.
func TestPlatformRevokesGrantOptionGivenByHand(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := syncedEnv(t, kind)
			f, ctx := e.f, context.Background()
			e.grantAliceAll(t)
			f.exec(t, "GRANT SELECT ON "+f.q(e.schema, e.other)+" TO "+f.q(e.role())+" WITH GRANT OPTION")
			want := 1
			if kind == "postgres" {
				f.exec(t, "GRANT USAGE ON SCHEMA "+f.q(e.schema)+" TO "+f.q(e.role())+" WITH GRANT OPTION")
				want = 2
			}
			rec, err := e.admin.ReconcilePlatform(ctx, e.name)
			if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Error != "" || rec.Databases[0].Found != want {
				t.Fatalf("reconcile: got %+v (%v), want the grant option found and repaired", rec, err)
			}
			if grantable(t, f, e.role(), e.schema, e.other) {
				t.Error("after the repair the role may still pass SELECT on")
			}
			if kind == "postgres" && f.queryBool(t, "SELECT has_schema_privilege($1, $2, 'USAGE WITH GRANT OPTION')", e.role(), e.schema) {
				t.Error("after the repair the role may still pass the schema's USAGE on")
			}
			if !f.held(t, e.role(), e.schema, e.other) {
				t.Error("the repair took the privilege meshgate granted")
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("a second reconcile: got %+v (%v), want nothing to repair", rec, err)
			}
		})
	}
}

// TestPlatformMissingRoleBlocksNoOtherRole maps alice to a role that does
// not exist and that meshgate may not create, and bob to one that does:
// bob's revoke and carol's grant take effect on the platform while alice's
// grant fails, and only alice's grant shows failed.
func TestPlatformMissingRoleBlocksNoOtherRole(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			f := map[string]func(testing.TB) *fixture{"postgres": pgFixture, "mariadb": mariaFixture}[kind](t)
			e := newEnv(t, "sqlite", f)
			ctx := context.Background()
			bob, carol := "bob"+randomHex(4), "carol"+randomHex(4)
			for _, u := range []string{bob, carol} {
				if _, err := e.admin.CreateUser(ctx, e.consumerID, client.UserInput{Username: u, Roles: []string{"member"}}); err != nil {
					t.Fatal(err)
				}
			}
			missing, bobRole, carolRole := "mgt_missing_"+randomHex(4), "mgt_bob_"+randomHex(4), "mgt_carol_"+randomHex(4)
			for _, r := range []string{bobRole, carolRole} {
				f.exec(t, "CREATE ROLE "+f.q(r))
				t.Cleanup(func() { dropRole(t, f, r) })
			}
			in := client.PlatformInput{Name: e.name, Kind: f.kind, DSN: f.dsn, AccountID: e.producer, Schemas: []string{e.schema},
				Roles: map[string]string{e.consumerID + "/" + e.alice: missing, e.consumerID + "/" + bob: bobRole, e.consumerID + "/" + carol: carolRole}}
			if _, err := e.admin.RegisterPlatform(ctx, in); err != nil {
				t.Fatal(err)
			}
			if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
				t.Fatal(err)
			}
			all := client.Resource{Database: e.database(t), Table: "*"}
			if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: all, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
				t.Fatal(err)
			}
			bobGrant := client.GrantInput{Principal: e.consumerID + "/" + bob, Resource: all, Permissions: []string{"SELECT"}}
			if _, err := e.consumer.Grant(ctx, bobGrant); err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			if !f.held(t, bobRole, e.schema, e.other) {
				t.Fatal("bob's grant is not in force")
			}

			a, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: all, Permissions: []string{"SELECT"}})
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + carol, Resource: all, Permissions: []string{"SELECT"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.consumer.Revoke(ctx, bobGrant); err != nil {
				t.Fatal(err)
			}
			states := map[int64]string{}
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				sts, err := e.admin.PlatformGrants(ctx, e.name)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range sts {
					states[s.GrantID] = s.State
					if s.GrantID == a.ID && s.State == "failed" && !strings.Contains(s.Error, missing) {
						t.Errorf("alice's grant failed with %q, want it to name the missing role", s.Error)
					}
				}
				if states[a.ID] == "failed" && states[c.ID] != "pending" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("grant states: got %+v, want alice's failed and carol's settled", sts)
				}
			}
			if states[c.ID] != "in_force" {
				t.Errorf("carol's grant: got %s, want in_force", states[c.ID])
			}
			if f.held(t, bobRole, e.schema, e.other) {
				t.Error("bob's revoked grant is still held on the platform")
			}
			if !f.held(t, carolRole, e.schema, e.other) {
				t.Error("carol's grant is not held on the platform")
			}
		})
	}
}

// TestPlatformRevokeThatDoesNotTakeIsReported has a role other than
// meshgate's user grant a managed role a privilege by hand: PostgreSQL's
// REVOKE takes back only what its issuer granted, so the repair cannot
// take it. Reconcile says so, instead of counting the privilege repaired
// at every round.
func TestPlatformRevokeThatDoesNotTakeIsReported(t *testing.T) {
	f := pgFixture(t)
	e := newEnv(t, "sqlite", f)
	ctx := context.Background()
	e.register(t)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	res := client.Resource{Database: e.database(t), Table: e.orders(t)}
	if _, err := e.admin.Grant(ctx, client.GrantInput{Principal: e.consumerID, Resource: res, Permissions: []string{"SELECT"}, Grantable: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + e.alice, Resource: res, Permissions: []string{"SELECT"}}); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	grantor := "mgt_grantor_" + randomHex(4)
	f.exec(t, "CREATE ROLE "+f.q(grantor))
	t.Cleanup(func() { dropRole(t, f, grantor) })
	f.exec(t, "GRANT USAGE ON SCHEMA "+f.q(e.schema)+" TO "+f.q(grantor))
	f.exec(t, "GRANT SELECT ON "+f.q(e.schema, e.other)+" TO "+f.q(grantor)+" WITH GRANT OPTION")
	t.Cleanup(func() { f.exec(t, "RESET ROLE") })
	f.exec(t, "SET ROLE "+f.q(grantor))
	f.exec(t, "GRANT SELECT ON "+f.q(e.schema, e.other)+" TO "+f.q(e.role()))
	f.exec(t, "RESET ROLE")
	for i := 0; i < 2; i++ {
		rec, err := e.admin.ReconcilePlatform(ctx, e.name)
		if err != nil || len(rec.Databases) != 1 || !strings.Contains(rec.Databases[0].Error, "still holds") {
			t.Fatalf("reconcile %d: got %+v (%v), want an error saying the role still holds the privilege", i+1, rec, err)
		}
	}
	if !f.held(t, e.role(), e.schema, e.other) {
		t.Fatal("the privilege is gone: the test shows nothing")
	}
	f.exec(t, "REVOKE SELECT ON "+f.q(e.schema, e.other)+" FROM "+f.q(grantor)+" CASCADE")
	if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Error != "" || rec.Databases[0].Found != 0 {
		t.Errorf("once the grantor's grant is gone: got %+v (%v), want nothing to repair", rec, err)
	}
}

// TestPlatformRevokeTakesWhatTheRolePassedOn gives alice's role, by hand,
// the grant option on a privilege meshgate granted it, and has the role
// pass the privilege on to an unmanaged role and to bob's managed role,
// whose own grant of it is taken by hand so that he holds it only through
// alice's. On PostgreSQL the grant option's repair, and later the revoke of
// alice's grant, must take the privileges that depend on it (REVOKE …
// CASCADE), where they failed with "dependent privileges exist" and the
// role stayed failed; bob's privilege, which meshgate wants him to keep, is
// granted again in the same pass, so that the end state is exactly
// meshgate's grants. MariaDB has no dependent privileges: its revokes
// succeed and what the role passed on stays, as any grant by hand to a
// role meshgate does not manage.
func TestPlatformRevokeTakesWhatTheRolePassedOn(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			e := syncedEnv(t, kind)
			f, ctx := e.f, context.Background()
			q := f.q
			bob := "bob" + randomHex(4)
			if _, err := e.admin.CreateUser(ctx, e.consumerID, client.UserInput{Username: bob, Roles: []string{"member"}}); err != nil {
				t.Fatal(err)
			}
			bobRole := "mg_" + e.consumerID + "_" + bob
			t.Cleanup(func() { dropRole(t, f, bobRole) })
			alice := e.grantAliceAll(t)
			if _, err := e.consumer.Grant(ctx, client.GrantInput{Principal: e.consumerID + "/" + bob, Resource: alice.Resource, Permissions: []string{"SELECT"}}); err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			outsider := "mgt_outsider_" + randomHex(4)
			f.exec(t, "CREATE ROLE "+q(outsider))
			t.Cleanup(func() { dropRole(t, f, outsider) })
			// Dropped first, alice's role takes along what it passed on,
			// which would keep the other roles from being dropped.
			t.Cleanup(func() { dropRole(t, f, e.role()) })

			// passOn has alice's role, given the grant option by hand,
			// grant SELECT on the other table to the outsider and to bob.
			passOn := func() {
				t.Helper()
				f.exec(t, "GRANT SELECT ON "+q(e.schema, e.other)+" TO "+q(e.role())+" WITH GRANT OPTION")
				stmts := []string{"GRANT SELECT ON " + q(e.schema, e.other) + " TO " + q(outsider), "GRANT SELECT ON " + q(e.schema, e.other) + " TO " + q(bobRole)}
				if kind == "mariadb" {
					for _, s := range stmts {
						if err := f.queryAs(t, e.role(), s); err != nil {
							t.Fatalf("%s as alice's role: %v", s, err)
						}
					}
					return
				}
				t.Cleanup(func() { f.exec(t, "RESET ROLE") })
				f.exec(t, "SET ROLE "+q(e.role()))
				for _, s := range stmts {
					f.exec(t, s)
				}
				f.exec(t, "RESET ROLE")
			}
			passOn()
			if kind == "postgres" {
				f.exec(t, "REVOKE SELECT ON "+q(e.schema, e.other)+" FROM "+q(bobRole))
				if !f.held(t, bobRole, e.schema, e.other) {
					t.Fatal("bob does not hold SELECT through alice's role: the test shows nothing")
				}
			}
			rec, err := e.admin.ReconcilePlatform(ctx, e.name)
			if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Error != "" || rec.Databases[0].Found != 1 {
				t.Fatalf("reconcile: got %+v (%v), want the grant option found and repaired", rec, err)
			}
			if grantable(t, f, e.role(), e.schema, e.other) || !f.held(t, e.role(), e.schema, e.other) {
				t.Error("after the repair alice's role may still pass SELECT on, or lost it")
			}
			if !f.held(t, bobRole, e.schema, e.other) {
				t.Error("after the repair bob lacks SELECT, which meshgate granted him")
			}
			// MariaDB has no dependent privileges: the outsider keeps what
			// alice's role passed on, and meshgate leaves an unmanaged role alone.
			if got, want := f.held(t, outsider, e.schema, e.other), kind == "mariadb"; got != want {
				t.Errorf("after the repair the outsider holds SELECT: got %v, want %v", got, want)
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("a second reconcile: got %+v (%v), want nothing to repair", rec, err)
			}

			// The same passed-on privileges, when meshgate revokes alice's grant.
			passOn()
			if _, err := e.consumer.Revoke(ctx, alice); err != nil {
				t.Fatal(err)
			}
			e.waitApplied(t)
			if f.held(t, e.role(), e.schema, e.other) || f.held(t, e.role(), e.schema, e.table) {
				t.Error("after the revoke alice's role still holds SELECT")
			}
			if !f.held(t, bobRole, e.schema, e.other) {
				t.Error("after alice's revoke bob lacks SELECT, which meshgate granted him")
			}
			if got, want := f.held(t, outsider, e.schema, e.other), kind == "mariadb"; got != want {
				t.Errorf("after the revoke the outsider holds SELECT: got %v, want %v", got, want)
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("a reconcile after the revoke: got %+v (%v), want nothing to repair", rec, err)
			}
		})
	}
}
