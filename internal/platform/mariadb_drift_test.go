package platform_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/client"
)

// TestPlatformMariaDBDatabaseGrantsAreDrift gives a managed role, by hand,
// privileges on the whole imported database (GRANT … ON db.*) after
// meshgate revoked the role's grant. Reconcile revokes those that reach
// the tables, and leaves the privileges that do not (EXECUTE).
// TestPlatformMariaDBWiderGrants grants more widely.
func TestPlatformMariaDBDatabaseGrantsAreDrift(t *testing.T) {
	f := mariaFixture(t)
	e := newEnv(t, "sqlite", f)
	ctx := context.Background()
	q := f.q
	e.register(t)
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	alice := e.grantAliceAll(t)
	if _, err := e.consumer.Revoke(ctx, alice); err != nil {
		t.Fatal(err)
	}
	e.waitApplied(t)
	read := "SELECT * FROM " + q(e.schema, e.other)
	if err := f.queryAs(t, e.role(), read); !denied(err) {
		t.Fatalf("after the revoke: got %v, want the read refused", err)
	}

	f.exec(t, "GRANT SELECT, EXECUTE ON "+q(e.schema)+".* TO "+q(e.role()))
	if err := f.queryAs(t, e.role(), read); err != nil {
		t.Fatalf("the database-level grant does not let the role read: %v", err)
	}
	rec, err := e.admin.ReconcilePlatform(ctx, e.name)
	wantStmt := "REVOKE SELECT ON " + q(e.schema) + ".* FROM " + q(e.role())
	if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 1 || rec.Databases[0].Error != "" ||
		len(rec.Databases[0].Statements) != 1 || rec.Databases[0].Statements[0] != wantStmt {
		t.Fatalf("reconcile: got %+v (%v), want one difference repaired by %s", rec, err, wantStmt)
	}
	if err := f.queryAs(t, e.role(), read); !denied(err) {
		t.Errorf("after the repair: got %v, want the read refused", err)
	}
	if !f.queryBool(t, "SELECT COUNT(*) > 0 FROM mysql.db WHERE User = ? AND Host = '' AND Db = ? AND Execute_priv = 'Y'", e.role(), e.schema) {
		t.Error("the repair took EXECUTE, which reaches no table")
	}
	if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
		t.Errorf("a second reconcile: got %+v (%v), want nothing to repair", rec, err)
	}
}

// TestPlatformMariaDBNeedsDatabasePrivileges registers MariaDB with a user
// holding the privileges the README lists but SELECT on mysql.db and on
// mysql.roles_mapping: the reconcile fails naming the first, then, once it
// is granted, the second, rather than seeing no database-level grant or
// membership. With both, the documented privileges suffice to repair a
// grant on the database.
func TestPlatformMariaDBNeedsDatabasePrivileges(t *testing.T) {
	f := mariaFixture(t)
	e := newEnv(t, "sqlite", f)
	ctx := context.Background()
	q := f.q
	user, pw := "mgt_user_"+randomHex(4), randomHex(12)
	hosts := []string{"%", "localhost", "127.0.0.1"}
	for _, h := range hosts {
		who := fmt.Sprintf("'%s'@'%s'", user, h)
		f.exec(t, "CREATE USER "+who+" IDENTIFIED BY '"+pw+"'")
		t.Cleanup(func() { f.exec(t, "DROP USER IF EXISTS "+who) })
		for _, tb := range []string{"tables_priv", "columns_priv", "user"} {
			f.exec(t, "GRANT SELECT ON mysql."+tb+" TO "+who)
		}
		f.exec(t, "GRANT SELECT, INSERT, DELETE ON "+q(e.schema)+".* TO "+who+" WITH GRANT OPTION")
		f.exec(t, "GRANT CREATE USER ON *.* TO "+who)
	}
	env := "MG_TEST_MARIADB_PW_" + randomHex(3)
	t.Setenv(env, pw)
	cfg, err := mysql.ParseDSN(f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.DBName = user, e.schema
	dsn := cfg.FormatDSN()
	in := client.PlatformInput{Name: e.name, Kind: f.kind, DSN: dsn, PasswordEnv: env, AccountID: e.producer, Schemas: []string{e.schema}}
	if _, err := e.admin.RegisterPlatform(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.SyncPlatform(ctx, e.name); err != nil {
		t.Fatal(err)
	}
	f.exec(t, "CREATE ROLE "+q(e.role()))
	f.exec(t, "GRANT SELECT ON "+q(e.schema)+".* TO "+q(e.role()))
	for _, tb := range []string{"db", "roles_mapping"} {
		rec, err := e.admin.ReconcilePlatform(ctx, e.name)
		if err != nil || len(rec.Databases) != 1 || !strings.Contains(rec.Databases[0].Error, "SELECT on mysql."+tb) {
			t.Fatalf("reconcile without SELECT on mysql.%s: got %+v (%v), want an error naming it", tb, rec, err)
		}
		for _, h := range hosts {
			f.exec(t, fmt.Sprintf("GRANT SELECT ON mysql.%s TO '%s'@'%s'", tb, user, h))
		}
	}
	// the applier retries the database the refused reads failed, and may
	// repair the grant before this reconcile does: either repairs it
	rec, err := e.admin.ReconcilePlatform(ctx, e.name)
	if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found > 1 || rec.Databases[0].Error != "" {
		t.Fatalf("reconcile with SELECT on mysql.db and mysql.roles_mapping: got %+v (%v), want the grant on the database repaired", rec, err)
	}
	if f.queryBool(t, "SELECT COUNT(*) > 0 FROM mysql.db WHERE User = ? AND Host = ''", e.role()) {
		t.Error("the role still holds privileges on the database")
	}
}

// TestPlatformMariaDBWiderGrants gives a managed role, by hand, privileges
// reaching the imported tables from grants on database name patterns that
// cover the database and others, and on every database (*.*). Revoking
// them changes what the role holds elsewhere too, as ending a membership
// does, and the same rule decides: meshgate revokes them from its per-user
// role, which exists only to carry its grants, and reports them on a role
// a fixed mapping names, the organisation's own, naming the REVOKE to run
// by hand, with the role's grants failed until it is run. (MariaDB takes a
// role's privileges on a database from the most specific of its rows that
// match: the role has no row on the database itself, which would hide the
// patterns'.)
func TestPlatformMariaDBWiderGrants(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		name := map[bool]string{false: "per-user", true: "fixed"}[fixed]
		t.Run(name, func(t *testing.T) {
			f := mariaFixture(t)
			e := newEnv(t, "sqlite", f)
			ctx := context.Background()
			q := f.q
			role := e.registerSynced(t, fixed)
			// alice's grant is revoked from her role; the fixed mapping's role keeps it.
			alice := e.grantAliceAll(t)
			if !fixed {
				if _, err := e.consumer.Revoke(ctx, alice); err != nil {
					t.Fatal(err)
				}
				e.waitApplied(t)
			}
			read := "SELECT * FROM " + q(e.schema, e.other)
			prefix := `Mg "Sales" %`
			one := strings.Replace(e.schema, `"`, "_", 1)
			wide := map[string]string{"INSERT": q(prefix) + ".*", "SELECT": q(one) + ".*", "DELETE": "*.*"}
			var revokes []string
			for _, priv := range slices.Sorted(maps.Keys(wide)) {
				f.exec(t, "GRANT "+priv+" ON "+wide[priv]+" TO "+q(role))
				revokes = append(revokes, "REVOKE "+priv+" ON "+wide[priv]+" FROM "+q(role))
			}
			if !fixed {
				if err := f.queryAs(t, role, read); err != nil {
					t.Fatalf("the wider grants do not let the role read: %v", err)
				}
				rec, err := e.admin.ReconcilePlatform(ctx, e.name)
				if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 3 || rec.Databases[0].Error != "" ||
					!sameSet(rec.Databases[0].Statements, revokes) {
					t.Fatalf("reconcile: got %+v (%v), want 3 differences repaired by %q", rec, err, revokes)
				}
				if err := f.queryAs(t, role, read); !denied(err) {
					t.Errorf("after the repair: got %v, want the read refused", err)
				}
				if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
					t.Errorf("a second reconcile: got %+v (%v), want nothing to repair", rec, err)
				}
				return
			}
			for i := 0; i < 2; i++ {
				rec, err := e.admin.ReconcilePlatform(ctx, e.name)
				if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 3 || len(rec.Databases[0].Statements) != 0 {
					t.Fatalf("reconcile %d: got %+v (%v), want 3 differences found and no statement", i+1, rec, err)
				}
				for _, want := range append([]string{"which covers database " + e.schema + " and others", "role " + role + " is one a fixed mapping names",
					"grant the privilege on just the databases they need to their logins instead of to role " + role}, revokes...) {
					if !strings.Contains(rec.Databases[0].Error, want) {
						t.Errorf("reconcile %d: error %q does not say %q", i+1, rec.Databases[0].Error, want)
					}
				}
			}
			if !f.queryBool(t, "SELECT COUNT(*) = 2 FROM mysql.db WHERE User = ? AND Host = ''", role) ||
				!f.queryBool(t, "SELECT COUNT(*) = 1 FROM mysql.user WHERE User = ? AND Host = '' AND Delete_priv = 'Y'", role) {
				t.Error("meshgate revoked a wider grant of a fixed mapping's role")
			}
			sts, err := e.admin.PlatformGrants(ctx, e.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != 1 || sts[0].State != "failed" || !strings.Contains(sts[0].Error, revokes[0]) {
				t.Errorf("alice's grant: got %+v, want it failed naming %s", sts, revokes[0])
			}
			for _, r := range revokes {
				f.exec(t, r)
			}
			if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
				t.Errorf("once revoked by hand: got %+v (%v), want nothing to repair", rec, err)
			}
		})
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
