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
	"unicode/utf8"

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

// object writes db.table, or db.* for the whole database (table empty).
func object(schema, table string) string {
	if table == "" {
		return ident(schema) + ".*"
	}
	return ident(schema) + "." + ident(table)
}

// Grant writes GRANT priv [(cols)] ON db.table TO role (db.* with table empty).
func (Driver) Grant(role, schema, table string, cols []string, priv string) string {
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "GRANT " + priv + c + " ON " + object(schema, table) + " TO " + ident(role)
}

// Revoke writes the REVOKE matching Grant. MariaDB keeps no dependent
// privileges (nor has REVOKE … CASCADE): what a role passed on with a
// grant option stays with its grantee when the option is revoked.
func (Driver) Revoke(role, schema, table string, cols []string, priv string) string {
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "REVOKE " + priv + c + " ON " + object(schema, table) + " FROM " + ident(role)
}

// RevokeOn writes REVOKE priv ON on FROM role, on being *.* or a
// database name pattern as Privileges read it (`sales%`.*).
func (Driver) RevokeOn(role, on, priv string) string {
	return "REVOKE " + priv + " ON " + on + " FROM " + ident(role)
}

// RevokeRole writes REVOKE of FROM role.
func (Driver) RevokeRole(role, of string) string {
	return "REVOKE " + ident(of) + " FROM " + ident(role)
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

// CheckRole refuses a name longer than MariaDB's 128 characters, holding a
// NUL, or a character outside the Basic Multilingual Plane, which the grant
// tables (utf8mb3) cannot store.
func (Driver) CheckRole(role string) error {
	if strings.ContainsRune(role, 0) {
		return errors.New("a MariaDB role name cannot hold a NUL character")
	}
	if n := utf8.RuneCountInString(role); n > 128 {
		return fmt.Errorf("is %d characters long: MariaDB's role names hold at most 128 characters", n)
	}
	for _, r := range role {
		if r > 0xFFFF {
			return fmt.Errorf("holds %q, a character outside the Basic Multilingual Plane, which MariaDB's grant tables (utf8mb3) cannot store", r)
		}
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
	var lower int
	if err := db.QueryRowContext(ctx, `SELECT @@lower_case_table_names`).Scan(&lower); err != nil {
		db.Close()
		return nil, err
	}
	return &conn{db: db, fold: lower != 0}, nil
}

type conn struct {
	db *sql.DB
	// fold is set when the server compares database names ignoring case
	// (lower_case_table_names), as its grants then match them.
	fold bool
}

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

// Privileges reads the roles' table and column privileges in the database,
// and those of their privileges on the whole database (mysql.db) and on
// every database (mysql.user) that reach its tables. Roles have an empty
// host in the grant tables.
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
		return nil, readError(fmt.Errorf("read privileges of database %s (the platform user needs SELECT on mysql.tables_priv and mysql.columns_priv): %w", schema, err))
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
		return nil, readError(fmt.Errorf("read column privileges of database %s (the platform user needs SELECT on mysql.columns_priv): %w", schema, err))
	}
	for rows.Next() {
		var role, table, col, privs string
		if err := rows.Scan(&role, &table, &col, &privs); err != nil {
			rows.Close()
			return nil, err
		}
		add(role, table, col, privs)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	wide, err := c.widePrivileges(ctx, schema, managed)
	return append(out, wide...), err
}

// tableReaching are the columns of mysql.db and mysql.user holding the
// privileges that can also be granted on a table, with their names in
// statements: held on a database or on every database, they reach its
// tables. The others (EXECUTE, EVENT, CREATE ROUTINE, …) reach no table,
// and meshgate leaves them alone.
var tableReaching = []struct{ column, priv string }{
	{"Select_priv", "SELECT"}, {"Insert_priv", "INSERT"}, {"Update_priv", "UPDATE"}, {"Delete_priv", "DELETE"},
	{"Create_priv", "CREATE"}, {"Drop_priv", "DROP"}, {"Grant_priv", "GRANT OPTION"}, {"References_priv", "REFERENCES"},
	{"Index_priv", "INDEX"}, {"Alter_priv", "ALTER"}, {"Create_view_priv", "CREATE VIEW"}, {"Show_view_priv", "SHOW VIEW"},
	{"Trigger_priv", "TRIGGER"}, {"Delete_history_priv", "DELETE HISTORY"},
}

// widePrivileges reads the privileges that reach the database's tables
// from grants on the database (GRANT … ON db.*) and on every database
// (*.*). mysql.db's database names are patterns (% and _ are wildcards, \
// escapes them): a grant naming the database itself is on the schema,
// and revoked as drift; one whose pattern also matches other databases,
// like a grant on *.*, is returned with Privilege.On. Only roles are read
// (an empty host: MariaDB gives a user created with one the host %), so
// none of them can log in.
func (c *conn) widePrivileges(ctx context.Context, schema string, managed func(string) bool) ([]platform.Privilege, error) {
	cols := make([]string, len(tableReaching))
	for i, p := range tableReaching {
		cols[i] = p.column
	}
	var out []platform.Privilege
	list := strings.Join(cols, ", ")
	// read reads mysql.db's grants on databases (db set) or mysql.user's on every database.
	read := func(table, what string, db bool) error {
		query := "SELECT User, " + list + " FROM " + table + " WHERE Host = ''"
		if db {
			query = "SELECT User, Db, " + list + " FROM " + table + " WHERE Host = ''"
		}
		rows, err := c.db.QueryContext(ctx, query)
		if err != nil {
			return readError(fmt.Errorf("read %s (the platform user needs SELECT on %s): %w", what, table, err))
		}
		defer rows.Close()
		for rows.Next() {
			var role, pattern string
			flags := make([]sql.NullString, len(tableReaching))
			dest := []any{&role, &pattern}
			if !db {
				dest = dest[:1]
			}
			for i := range flags {
				dest = append(dest, &flags[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if !managed(role) {
				continue
			}
			p := platform.Privilege{Role: role, Schema: schema, On: "*.*"}
			if db {
				exact, match := covers(pattern, schema, c.fold)
				switch {
				case exact:
					p.Schema, p.On = pattern, "" // revoked by the name it was granted on
				case match:
					p.On = ident(pattern) + ".*"
				default:
					continue
				}
			}
			for i, f := range flags {
				if f.String == "Y" {
					p.Priv = tableReaching[i].priv
					out = append(out, p)
				}
			}
		}
		return rows.Err()
	}
	if err := read("mysql.db", "the privileges on databases", true); err != nil {
		return nil, err
	}
	if err := read("mysql.user", "the privileges on every database", false); err != nil {
		return nil, err
	}
	return out, nil
}

// covers reports whether a database name pattern of mysql.db names db
// itself (exact: read literally, its escapes removed, it is db, as GRANT …
// ON db.* writes it with or without escaping db's _ and %), or matches it
// among others through its wildcards (% any run of characters, _ any one;
// \ makes the next character literal). fold compares ignoring case.
func covers(pattern, db string, fold bool) (exact, match bool) {
	if fold {
		pattern, db = strings.ToLower(pattern), strings.ToLower(db)
	}
	p, s := []rune(pattern), []rune(db)
	var literal []rune
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		literal = append(literal, p[i])
	}
	if string(literal) == db {
		return true, true
	}
	return false, wildMatch(p, s)
}

// wildMatch matches s against the pattern p, as covers describes.
func wildMatch(p, s []rune) bool {
	for len(p) > 0 {
		switch {
		case p[0] == '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildMatch(p, s[i:]) {
					return true
				}
			}
			return false
		case len(s) == 0:
			return false
		case p[0] == '_':
		case p[0] == '\\' && len(p) > 1:
			p = p[1:]
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}

// readError marks a read the server answered and refused, so that the
// connection is kept: it is sound, the user lacks a privilege.
func readError(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return platform.Refused(err)
	}
	return err
}

// Memberships reads the managed roles' memberships in other roles
// (mysql.roles_mapping, whose rows of a role have an empty host): a role
// granted to a role is active whenever the latter is. What a role
// reaches is read as Privileges reads it, for the role and every role it
// is itself granted, and kept when it is on the named tables, the whole
// database, or more (Privilege.On).
func (c *conn) Memberships(ctx context.Context, schema string, tables []string, managed func(string) bool) ([]platform.Membership, error) {
	var user, role string
	if err := c.db.QueryRowContext(ctx, `SELECT CURRENT_USER(), COALESCE(CURRENT_ROLE(), '')`).Scan(&user, &role); err != nil {
		return nil, err
	}
	self := func(r string) bool { return r == role || r+"@" == user } // the platform user, were it a role
	// A member with an empty host is a role, or a user who logs in from any host.
	rows, err := c.db.QueryContext(ctx, `
		SELECT m.User, m.Role, COALESCE(u.is_role, 'N') <> 'Y'
		FROM mysql.roles_mapping m LEFT JOIN mysql.user u ON u.User = m.User AND u.Host = ''
		WHERE m.Host = '' ORDER BY m.User, m.Role`)
	if err != nil {
		return nil, readError(fmt.Errorf("read role memberships (the platform user needs SELECT on mysql.roles_mapping): %w", err))
	}
	granted := map[string][]string{} // role → the roles granted to it
	var ms []platform.Membership
	for rows.Next() {
		var m platform.Membership
		if err := rows.Scan(&m.Role, &m.Of, &m.Login); err != nil {
			rows.Close()
			return nil, err
		}
		granted[m.Role] = append(granted[m.Role], m.Of)
		if managed(m.Role) && !self(m.Role) {
			ms = append(ms, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ms) == 0 {
		return nil, err
	}
	// closure returns the role and every role granted to it, at any depth.
	closure := func(r string) []string {
		seen := map[string]bool{r: true}
		out := []string{r}
		for i := 0; i < len(out); i++ {
			for _, g := range granted[out[i]] {
				if !seen[g] {
					seen[g] = true
					out = append(out, g)
				}
			}
		}
		return out
	}
	holders := map[string]bool{}
	for _, m := range ms {
		for _, r := range closure(m.Of) {
			holders[r] = true
		}
	}
	ps, err := c.Privileges(ctx, schema, nil, func(r string) bool { return holders[r] })
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, t := range tables {
		named[t] = true
	}
	held := map[string][]platform.Privilege{}
	for _, p := range ps {
		if p.Table == "" || named[p.Table] {
			held[p.Role] = append(held[p.Role], p)
		}
	}
	out := ms[:0]
	for _, m := range ms {
		for _, r := range closure(m.Of) {
			m.Reaches = append(m.Reaches, held[r]...)
		}
		if len(m.Reaches) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
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
		case 1044, 1045, 1142, 1143, 1227, 1698:
			return platform.Refused(fmt.Errorf("%w (the platform user needs GRANT OPTION with the privileges it grants or revokes, where they are granted, CREATE USER to create roles, and a role's ADMIN OPTION to end a membership in it)", err))
		}
		return platform.Refused(err)
	}
	return err
}
