package platform_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/client"
)

// TestPlatformMariaDBDatabaseGrantsAreDrift gives a managed role, by hand,
// privileges on the whole imported database (GRANT … ON db.*), on database
// name patterns that cover it, and on every database (*.*), after meshgate
// revoked the role's grant. Reconcile revokes what was granted on the
// database itself, reports what was granted more widely without revoking
// it (that would change what the role holds elsewhere), and leaves the
// privileges that do not reach the tables.
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

	// A pattern covers the database and others; *.* covers every database.
	// Revoking them would change what the role holds on databases meshgate
	// does not manage: reconcile reports them instead. (MariaDB takes a
	// role's privileges on a database from the most specific of its rows
	// that match: the row left holding EXECUTE would hide the patterns'.)
	f.exec(t, "REVOKE EXECUTE ON "+q(e.schema)+".* FROM "+q(e.role()))
	prefix := `Mg "Sales" %`
	one := strings.Replace(e.schema, `"`, "_", 1)
	wide := []string{"GRANT INSERT ON " + q(prefix) + ".*", "GRANT SELECT ON " + q(one) + ".*", "GRANT DELETE ON *.*"}
	for _, g := range wide {
		f.exec(t, g+" TO "+q(e.role()))
	}
	for i := 0; i < 2; i++ {
		rec, err = e.admin.ReconcilePlatform(ctx, e.name)
		if err != nil || len(rec.Databases) != 1 || rec.Databases[0].Found != 3 || len(rec.Databases[0].Statements) != 0 {
			t.Fatalf("reconcile %d with wider grants: got %+v (%v), want 3 differences found and no statement", i+1, rec, err)
		}
		for _, want := range []string{e.role(), "INSERT ON " + q(prefix) + ".*", "SELECT ON " + q(one) + ".*", "DELETE ON *.*"} {
			if !strings.Contains(rec.Databases[0].Error, want) {
				t.Errorf("reconcile %d: error %q does not name %s", i+1, rec.Databases[0].Error, want)
			}
		}
	}
	if err := f.queryAs(t, e.role(), read); err != nil {
		t.Errorf("meshgate revoked a grant on a pattern: %v", err)
	}
	for _, g := range wide {
		f.exec(t, strings.Replace(g, "GRANT", "REVOKE", 1)+" FROM "+q(e.role()))
	}
	if rec, err := e.admin.ReconcilePlatform(ctx, e.name); err != nil || rec.Databases[0].Found != 0 || rec.Databases[0].Error != "" {
		t.Errorf("once revoked by hand: got %+v (%v), want nothing to repair", rec, err)
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
