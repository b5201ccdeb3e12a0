// Package mariadb manages privileges on a MariaDB data platform through
// go-sql-driver/mysql. A MariaDB database plays the part of a schema; roles
// (which have no host, unlike users, user@host) receive the privileges, and
// every identifier is quoted with backquotes.
package mariadb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/internal/platform"
)

// Driver is the MariaDB platform driver.
type Driver struct{}

var _ platform.Driver = Driver{}

// ident quotes one identifier: backquotes around, inner backquotes doubled.
func ident(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func columns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = ident(c)
	}
	return " (" + strings.Join(q, ", ") + ")"
}

// SchemaUsage is false: MariaDB has no usage of a database.
func (Driver) SchemaUsage() bool { return false }

// Grant writes GRANT priv [(cols)] ON db.table TO role.
func (Driver) Grant(role, schema, table string, cols []string, priv string) string {
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "GRANT " + priv + c + " ON " + ident(schema) + "." + ident(table) + " TO " + ident(role)
}

// Revoke writes the REVOKE matching Grant.
func (Driver) Revoke(role, schema, table string, cols []string, priv string) string {
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "REVOKE " + priv + c + " ON " + ident(schema) + "." + ident(table) + " FROM " + ident(role)
}

// CreateRole writes CREATE ROLE IF NOT EXISTS role.
func (Driver) CreateRole(role string) string { return "CREATE ROLE IF NOT EXISTS " + ident(role) }

// RoleName fits MariaDB's 128-character user and role names.
func (Driver) RoleName(name string) string { return platform.FitName(name, 128) }

// CheckDSN refuses a DSN that does not parse or holds a password.
func (Driver) CheckDSN(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("the DSN does not parse: %w", err)
	}
	if cfg.Passwd != "" {
		return errors.New("the DSN holds a password: give it in an environment variable or a file instead")
	}
	return nil
}

// Open connects with the password and checks the connection.
func (Driver) Open(ctx context.Context, dsn, password string) (platform.Conn, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("the DSN does not parse: %w", err)
	}
	cfg.Passwd = password
	cn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(cn)
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &conn{db: db}, nil
}

type conn struct{ db *sql.DB }

func (c *conn) Close() error { return c.db.Close() }

// Inspect reads the databases' tables, columns, types and comments.
func (c *conn) Inspect(ctx context.Context, schemas []string) ([]platform.Schema, error) {
	var out []platform.Schema
	for _, s := range schemas {
		var name string
		err := c.db.QueryRowContext(ctx, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, s).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read database %s: %w", s, err)
		}
		sch := platform.Schema{Name: name}
		rows, err := c.db.QueryContext(ctx, `
			SELECT t.TABLE_NAME, t.TABLE_COMMENT, c.COLUMN_NAME, c.COLUMN_TYPE, c.COLUMN_COMMENT
			FROM information_schema.TABLES t JOIN information_schema.COLUMNS c
			  ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
			WHERE t.TABLE_SCHEMA = ? ORDER BY t.TABLE_NAME, c.ORDINAL_POSITION`, s)
		if err != nil {
			return nil, fmt.Errorf("read tables of %s: %w", s, err)
		}
		for rows.Next() {
			var t, tc, col, typ, cc string
			if err := rows.Scan(&t, &tc, &col, &typ, &cc); err != nil {
				rows.Close()
				return nil, err
			}
			if len(sch.Tables) == 0 || sch.Tables[len(sch.Tables)-1].Name != t {
				sch.Tables = append(sch.Tables, platform.Table{Name: t, Comment: tc})
			}
			tb := &sch.Tables[len(sch.Tables)-1]
			tb.Columns = append(tb.Columns, platform.Column{Name: col, Type: typ, Comment: cc})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, sch)
	}
	return out, nil
}

// Privileges reads the roles' table and column privileges in the database.
// Roles have an empty host in the grant tables.
func (c *conn) Privileges(ctx context.Context, schema string, _ []string, managed func(string) bool) ([]platform.Privilege, error) {
	var out []platform.Privilege
	add := func(role, table, column, privs string) {
		if !managed(role) {
			return
		}
		for _, p := range strings.Split(privs, ",") {
			p = strings.ToUpper(p)
			if p == "GRANT" {
				// The grant tables call the grant option Grant; its
				// statements, GRANT OPTION (REVOKE GRANT OPTION ON db.t).
				p = "GRANT OPTION"
			}
			if p != "" {
				out = append(out, platform.Privilege{Role: role, Schema: schema, Table: table, Column: column, Priv: p})
			}
		}
	}
	rows, err := c.db.QueryContext(ctx, `SELECT User, Table_name, Table_priv FROM mysql.tables_priv WHERE Db = ? AND Host = ''`, schema)
	if err != nil {
		return nil, fmt.Errorf("read privileges of database %s (the platform user needs SELECT on mysql.tables_priv and mysql.columns_priv): %w", schema, err)
	}
	for rows.Next() {
		var role, table, privs string
		if err := rows.Scan(&role, &table, &privs); err != nil {
			rows.Close()
			return nil, err
		}
		add(role, table, "", privs)
	}
	rows.Close()
	rows, err = c.db.QueryContext(ctx, `SELECT User, Table_name, Column_name, Column_priv FROM mysql.columns_priv WHERE Db = ? AND Host = ''`, schema)
	if err != nil {
		return nil, fmt.Errorf("read column privileges of database %s: %w", schema, err)
	}
	defer rows.Close()
	for rows.Next() {
		var role, table, col, privs string
		if err := rows.Scan(&role, &table, &col, &privs); err != nil {
			return nil, err
		}
		add(role, table, col, privs)
	}
	return out, rows.Err()
}

// RoleExists reports whether the role exists.
func (c *conn) RoleExists(ctx context.Context, role string) (bool, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mysql.user WHERE User = ? AND is_role = 'Y'`, role).Scan(&n)
	return n > 0, err
}

// Exec runs a statement; a revoke of what is not held succeeds.
func (c *conn) Exec(ctx context.Context, stmt string) error {
	_, err := c.db.ExecContext(ctx, stmt)
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1141, 1147: // there is no such grant defined
			if strings.HasPrefix(stmt, "REVOKE") {
				return nil
			}
		case 1044, 1045, 1142, 1143, 1227:
			return platform.Refused(fmt.Errorf("%w (the platform user needs GRANT OPTION with the privileges it grants, and CREATE USER to create roles)", err))
		}
		return platform.Refused(err)
	}
	return err
}
