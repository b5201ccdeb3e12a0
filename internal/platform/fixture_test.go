package platform_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store/storetest"
)

// MariaDBEnv names the environment variable that points the tests at a
// MariaDB server (a go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test).
const MariaDBEnv = "MESHGATE_TEST_MARIADB"

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fixture is a data platform under test: an admin connection to create
// and drop a schema of the test's own, and a way to query as a role.
type fixture struct {
	kind string
	// dsn is what meshgate registers (no password).
	dsn string
	// exec runs admin statements.
	exec func(t testing.TB, stmt string)
	// queryAs runs a query as the platform role, returning the platform's error.
	queryAs func(t testing.TB, role, query string) error
	// held reports whether role holds SELECT on the table, as the platform's catalogs say.
	held func(t testing.TB, role, schema, table string) bool
	// q quotes identifiers as the platform does.
	q func(parts ...string) string
	// queryBool runs an admin query that returns one boolean.
	queryBool func(t testing.TB, query string, args ...any) bool
}

func pgFixture(t testing.TB) *fixture {
	t.Helper()
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	f := &fixture{kind: "postgres", dsn: url, q: func(parts ...string) string { return pgx.Identifier(parts).Sanitize() }}
	f.exec = func(t testing.TB, stmt string) {
		t.Helper()
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	f.queryBool = func(t testing.TB, query string, args ...any) bool {
		t.Helper()
		var ok bool
		if err := admin.QueryRow(ctx, query, args...).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return ok
	}
	f.held = func(t testing.TB, role, schema, table string) bool {
		t.Helper()
		var ok bool
		if err := admin.QueryRow(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) THEN has_table_privilege($1, $2, 'SELECT') ELSE false END`, role, f.q(schema, table)).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	f.queryAs = func(t testing.TB, role, query string) error {
		t.Helper()
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		// meshgate's roles cannot log in; the test lets this one, and trust
		// authentication lets it in without a password.
		f.exec(t, "ALTER ROLE "+f.q(role)+" LOGIN")
		cfg.User = role
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatalf("connect as %s: %v", role, err)
		}
		defer c.Close(ctx)
		rows, err := c.Query(ctx, query)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	return f
}

func mariaFixture(t testing.TB) *fixture {
	t.Helper()
	dsn := os.Getenv(MariaDBEnv)
	if dsn == "" {
		if storetest.Required("mariadb") {
			t.Fatalf("%s is not set, and this run requires MariaDB", MariaDBEnv)
		}
		t.Skipf("%s is not set: MariaDB is not tested", MariaDBEnv)
	}
	db, err := sql.Open("mysql", dsn)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		t.Fatalf("connect to MariaDB (%s): %v", MariaDBEnv, err)
	}
	t.Cleanup(func() { db.Close() })
	cfg, _ := mysql.ParseDSN(dsn)
	q := func(parts ...string) string {
		out := make([]string, len(parts))
		for i, p := range parts {
			out[i] = "`" + strings.ReplaceAll(p, "`", "``") + "`"
		}
		return strings.Join(out, ".")
	}
	f := &fixture{kind: "mariadb", dsn: dsn, q: q}
	f.exec = func(t testing.TB, stmt string) {
		t.Helper()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	f.queryBool = func(t testing.TB, query string, args ...any) bool {
		t.Helper()
		var ok bool
		if err := db.QueryRow(query, args...).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return ok
	}
	f.held = func(t testing.TB, role, schema, table string) bool {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM mysql.tables_priv WHERE User = ? AND Db = ? AND Table_name = ? AND FIND_IN_SET('Select', Table_priv)", role, schema, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	f.queryAs = func(t testing.TB, role, query string) error {
		t.Helper()
		// Roles cannot log in: a login user holding the role as its default.
		user, pw := "mgt_"+randomHex(6), randomHex(12)
		for _, host := range []string{"%", "localhost", "127.0.0.1"} {
			f.exec(t, fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, pw))
			f.exec(t, fmt.Sprintf("GRANT %s TO '%s'@'%s'", q(role), user, host))
			f.exec(t, fmt.Sprintf("SET DEFAULT ROLE %s FOR '%s'@'%s'", q(role), user, host))
		}
		defer func() {
			for _, host := range []string{"%", "localhost", "127.0.0.1"} {
				f.exec(t, fmt.Sprintf("DROP USER '%s'@'%s'", user, host))
			}
		}()
		c := *cfg
		c.User, c.Passwd, c.DBName = user, pw, ""
		udb, err := sql.Open("mysql", c.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer udb.Close()
		rows, err := udb.Query(query)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	return f
}

// denied reports whether err is the platform refusing a privilege.
func denied(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1142 || me.Number == 1143 || me.Number == 1044
	}
	return err != nil && strings.Contains(err.Error(), "SQLSTATE 42501")
}
