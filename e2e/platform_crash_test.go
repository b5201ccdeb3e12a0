package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

// TestPlatformGrantSurvivesKill commits a grant while its MariaDB platform
// refuses meshgate's connection, kills the server with SIGKILL before the
// grant could be applied, lets the platform accept again and restarts: the
// outbox entry written in the grant's transaction is applied, and the
// platform holds the privilege exactly once.
func TestPlatformGrantSurvivesKill(t *testing.T) {
	dsn := os.Getenv("MESHGATE_TEST_MARIADB")
	if dsn == "" {
		if storetest.Required("mariadb") {
			t.Fatal("MESHGATE_TEST_MARIADB is not set, and this run requires MariaDB")
		}
		t.Skip("MESHGATE_TEST_MARIADB is not set: MariaDB is not tested")
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	suffix := hexString(4)
	schema, role := "mg crash "+suffix, "mg_111122223333_ada"+suffix
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := admin.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE `" + schema + "`")
	t.Cleanup(func() { exec("DROP DATABASE `" + schema + "`"); exec("DROP ROLE IF EXISTS `" + role + "`") })
	exec("CREATE TABLE `" + schema + "`.`Orders` (id int)")

	// The password file holds root's (empty) password; a wrong one makes
	// the platform refuse meshgate's connection.
	pwFile := filepath.Join(t.TempDir(), "pw")
	writePW := func(pw string) {
		if err := os.WriteFile(pwFile, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writePW("")
	srv := testbin.StartServer(t, testbin.Options{Args: []string{"--log-level", "warn"}})
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.OnboardAccount(ctx, client.AccountInput{ID: "111122223333", Name: "producer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, "111122223333", client.UserInput{Username: "ada" + suffix, Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterPlatform(ctx, client.PlatformInput{Name: "mdb", Kind: "mariadb", DSN: dsn, PasswordFile: pwFile,
		AccountID: "111122223333", Schemas: []string{schema}}); err != nil {
		t.Fatalf("register: %v", err)
	}
	if _, err := c.SyncPlatform(ctx, "mdb"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	waitOutboxEmpty(t, c, 10*time.Second) // the sync's own entry
	// A fresh process holds no connection: the next one reads the wrong password.
	srv.Kill(t)
	writePW("wrong-" + suffix)
	srv.Restart(t)
	c = srv.Client()
	db := "mdb-mg_crash_" + suffix + "-"
	dbs, err := c.ListDatabases(ctx, client.CatalogListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs.Databases {
		if strings.HasPrefix(d.Name, db) {
			db = d.Name
		}
	}
	g, err := c.Grant(ctx, client.GrantInput{Principal: "111122223333/ada" + suffix,
		Resource: client.Resource{Database: db, Table: "orders-" + tableHash(t, c, db)}, Permissions: []string{"SELECT"}})
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	waitState(t, c, g.ID, "failed")
	srv.Kill(t)
	if n := privileges(t, admin, role, schema); n != 0 {
		t.Fatalf("the platform holds %d privileges while it refused meshgate, want 0", n)
	}
	writePW("")
	srv.Restart(t)
	c = srv.Client()
	waitState(t, c, g.ID, "in_force")
	if n := privileges(t, admin, role, schema); n != 1 {
		t.Errorf("after the restart the platform holds %d grants of the privilege, want exactly 1", n)
	}
	waitOutboxEmpty(t, c, 60*time.Second)
}

// waitOutboxEmpty waits until platform mdb has no outbox entry left; one a
// killed process had claimed waits for its lease (30s) to end first.
func waitOutboxEmpty(t *testing.T, c *client.Client, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		p, err := c.Platform(context.Background(), "mdb")
		if err == nil && p.Pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox of mdb: got %+v (%v), want it empty", p, err)
		}
	}
}

func hexString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tableHash finds the hash suffix of the imported table "Orders".
func tableHash(t *testing.T, c *client.Client, db string) string {
	t.Helper()
	ts, err := c.ListTables(context.Background(), db, client.CatalogListOptions{})
	if err != nil || len(ts.Tables) != 1 {
		t.Fatalf("tables of %s: got %+v (%v), want one", db, ts, err)
	}
	return strings.TrimPrefix(ts.Tables[0].Name, "orders-")
}

// waitState waits until the grant reaches state on platform mdb.
func waitState(t *testing.T, c *client.Client, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		sts, err := c.PlatformGrants(context.Background(), "mdb")
		if err == nil {
			for _, s := range sts {
				if s.GrantID == id && s.State == state {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("grant %d did not become %s: %+v (%v)", id, state, sts, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// privileges counts the role's table-privilege rows in the schema.
func privileges(t *testing.T, db *sql.DB, role, schema string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM mysql.tables_priv WHERE User = ? AND Db = ? AND FIND_IN_SET('Select', Table_priv)", role, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
