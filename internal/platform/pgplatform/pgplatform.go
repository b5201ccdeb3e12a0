// Package pgplatform manages privileges on a PostgreSQL data platform
// through pgx: it reads schemas, tables, columns and comments from the
// catalogs, reads the privileges roles hold (table, column and schema ACLs),
// and writes GRANT and REVOKE statements with every identifier quoted.
package pgplatform

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meshgate/meshgate/internal/platform"
)

// Driver is the PostgreSQL platform driver.
type Driver struct{}

var _ platform.Driver = Driver{}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

func columns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = ident(c)
	}
	return " (" + strings.Join(q, ", ") + ")"
}

// SchemaUsage is true: a role reaches a schema's tables only with USAGE of it.
func (Driver) SchemaUsage() bool { return true }

// Grant writes GRANT priv [(cols)] ON TABLE schema.table TO role, or GRANT USAGE ON SCHEMA.
func (Driver) Grant(role, schema, table string, cols []string, priv string) string {
	if table == "" {
		return "GRANT " + priv + " ON SCHEMA " + ident(schema) + " TO " + ident(role)
	}
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "GRANT " + priv + c + " ON TABLE " + ident(schema, table) + " TO " + ident(role)
}

// Revoke writes the REVOKE matching Grant, with CASCADE: when the role
// held the privilege with grant option (given by hand: meshgate never
// gives it) and passed it on, PostgreSQL refuses to revoke it or its grant
// option alone ("dependent privileges exist"). What others hold only
// through it is no grant of meshgate's, on an object meshgate manages: it
// goes too. A managed role that held a privilege meshgate wants that way
// is granted it again in the same apply.
func (Driver) Revoke(role, schema, table string, cols []string, priv string) string {
	if table == "" {
		return "REVOKE " + priv + " ON SCHEMA " + ident(schema) + " FROM " + ident(role) + " CASCADE"
	}
	c := ""
	if len(cols) > 0 {
		c = columns(cols)
	}
	return "REVOKE " + priv + c + " ON TABLE " + ident(schema, table) + " FROM " + ident(role) + " CASCADE"
}

// RevokeOn writes REVOKE priv ON on FROM role CASCADE. PostgreSQL's
// privileges are read per schema and table: none has Privilege.On.
func (Driver) RevokeOn(role, on, priv string) string {
	return "REVOKE " + priv + " ON " + on + " FROM " + ident(role) + " CASCADE"
}

// RevokeRole writes REVOKE of FROM role, with CASCADE for what the role
// passed on with an admin option, as Revoke does.
func (Driver) RevokeRole(role, of string) string {
	return "REVOKE " + ident(of) + " FROM " + ident(role) + " CASCADE"
}

// CreateRole writes CREATE ROLE role NOLOGIN.
func (Driver) CreateRole(role string) string { return "CREATE ROLE " + ident(role) + " NOLOGIN" }

// RoleName fits PostgreSQL's 63-byte identifiers.
func (Driver) RoleName(name string) string { return platform.FitName(name, 63) }

// CheckDSN refuses a DSN that does not parse or holds a password.
func (Driver) CheckDSN(dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("the DSN does not parse: %w", err)
	}
	if cfg.Password != "" {
		return errors.New("the DSN holds a password: give it in an environment variable or a file instead")
	}
	return nil
}

// CheckRole refuses a name longer than PostgreSQL's 63 bytes, which it
// would cut, or holding a NUL, which quoting drops.
func (Driver) CheckRole(role string) error {
	if strings.ContainsRune(role, 0) {
		return errors.New("a PostgreSQL role name cannot hold a NUL character")
	}
	if len(role) > 63 {
		return fmt.Errorf("is %d bytes long: PostgreSQL's role names hold at most 63 bytes", len(role))
	}
	return nil
}

// Open connects with the password and checks the connection.
func (Driver) Open(ctx context.Context, dsn, password string) (platform.Conn, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("the DSN does not parse: %w", err)
	}
	if password != "" {
		cfg.ConnConfig.Password = password
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return &conn{pool: pool}, nil
}

type conn struct{ pool *pgxpool.Pool }

func (c *conn) Close() error { c.pool.Close(); return nil }

// Inspect reads tables (ordinary, partitioned, views), columns and comments.
func (c *conn) Inspect(ctx context.Context, schemas []string) ([]platform.Schema, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT n.nspname, COALESCE(obj_description(n.oid, 'pg_namespace'), ''),
		       COALESCE(cl.relname, ''), COALESCE(obj_description(cl.oid, 'pg_class'), ''),
		       COALESCE(a.attname, ''), COALESCE(format_type(a.atttypid, a.atttypmod), ''),
		       COALESCE(col_description(cl.oid, a.attnum), '')
		FROM pg_namespace n
		LEFT JOIN pg_class cl ON cl.relnamespace = n.oid AND cl.relkind IN ('r', 'p', 'v', 'm', 'f')
		LEFT JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = ANY($1)
		ORDER BY n.nspname, cl.relname, a.attnum`, schemas)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	defer rows.Close()
	var out []platform.Schema
	for rows.Next() {
		var s, sc, t, tc, col, typ, cc string
		if err := rows.Scan(&s, &sc, &t, &tc, &col, &typ, &cc); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != s {
			out = append(out, platform.Schema{Name: s, Comment: sc})
		}
		sch := &out[len(out)-1]
		if t == "" {
			continue
		}
		if len(sch.Tables) == 0 || sch.Tables[len(sch.Tables)-1].Name != t {
			sch.Tables = append(sch.Tables, platform.Table{Name: t, Comment: tc})
		}
		if col != "" {
			tb := &sch.Tables[len(sch.Tables)-1]
			tb.Columns = append(tb.Columns, platform.Column{Name: col, Type: typ, Comment: cc})
		}
	}
	return out, rows.Err()
}

// Privileges reads the schema's USAGE grants and the named tables' table
// and column ACLs; a privilege held with grant option is read twice, the
// second time as "GRANT OPTION FOR priv". Tables are found by name through pg_class's index, so
// the read does not scan the catalog of a database with many schemas.
func (c *conn) Privileges(ctx context.Context, schema string, tables []string, managed func(string) bool) ([]platform.Privilege, error) {
	rows, err := c.pool.Query(ctx, `
		WITH n AS (SELECT oid, nspacl FROM pg_namespace WHERE nspname = $1),
		cl AS (SELECT c.oid, c.relname, c.relacl FROM pg_class c, n
		       WHERE c.relnamespace = n.oid AND c.relname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
		SELECT r.rolname, '', '', x.privilege_type, x.is_grantable
		FROM n CROSS JOIN LATERAL aclexplode(n.nspacl) x JOIN pg_roles r ON r.oid = x.grantee
		UNION ALL
		SELECT r.rolname, cl.relname, '', x.privilege_type, x.is_grantable
		FROM cl CROSS JOIN LATERAL aclexplode(cl.relacl) x JOIN pg_roles r ON r.oid = x.grantee
		UNION ALL
		SELECT r.rolname, cl.relname, a.attname, x.privilege_type, x.is_grantable
		FROM cl JOIN pg_attribute a ON a.attrelid = cl.oid
		CROSS JOIN LATERAL aclexplode(a.attacl) x JOIN pg_roles r ON r.oid = x.grantee
		WHERE a.attnum > 0 AND NOT a.attisdropped`, schema, tables)
	if err != nil {
		return nil, fmt.Errorf("read privileges of schema %s: %w", schema, err)
	}
	defer rows.Close()
	var out []platform.Privilege
	for rows.Next() {
		p := platform.Privilege{Schema: schema}
		var grantable bool
		if err := rows.Scan(&p.Role, &p.Table, &p.Column, &p.Priv, &grantable); err != nil {
			return nil, err
		}
		if !managed(p.Role) {
			continue
		}
		out = append(out, p)
		if grantable {
			// The right to pass the privilege on is a privilege of its
			// own: meshgate never grants it, so a repair revokes it
			// (REVOKE GRANT OPTION FOR priv) and leaves the privilege.
			p.Priv = "GRANT OPTION FOR " + p.Priv
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// Memberships reads the managed roles' memberships (pg_auth_members),
// whatever their INHERIT: a member may SET ROLE to any role it is a
// member of. What a role reaches is asked of PostgreSQL
// (has_table_privilege, has_column_privilege), so that what it holds as
// the tables' owner or a superuser counts, for it and for every role it
// is itself a member of; what PUBLIC holds reaches nothing more.
func (c *conn) Memberships(ctx context.Context, schema string, tables []string, managed func(string) bool) ([]platform.Membership, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	rows, err := c.pool.Query(ctx, `
		SELECT m.rolname, g.rolname, m.rolcanlogin
		FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid
		WHERE m.rolname NOT IN (current_user, session_user)
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("read role memberships: %w", err)
	}
	var ms []platform.Membership
	var of []string
	for rows.Next() {
		var m platform.Membership
		if err := rows.Scan(&m.Role, &m.Of, &m.Login); err != nil {
			rows.Close()
			return nil, err
		}
		if managed(m.Role) {
			ms = append(ms, m)
			of = append(of, m.Of)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ms) == 0 {
		return nil, err
	}
	rows, err = c.pool.Query(ctx, `
		WITH RECURSIVE via(via, role) AS (
			SELECT oid, oid FROM pg_roles WHERE rolname = ANY($3)
			UNION
			SELECT via.via, am.roleid FROM via JOIN pg_auth_members am ON am.member = via.role
		),
		n AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
		cl AS (SELECT c.oid, c.relname FROM pg_class c, n
		       WHERE c.relnamespace = n.oid AND c.relname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
		SELECT g.rolname, cl.relname, '', p.priv
		FROM via JOIN pg_roles g ON g.oid = via.via CROSS JOIN cl
		CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
		WHERE has_table_privilege(via.role, cl.oid, p.priv) AND NOT has_table_privilege('public'::name, cl.oid, p.priv)
		UNION
		SELECT g.rolname, cl.relname, a.attname, p.priv
		FROM via JOIN pg_roles g ON g.oid = via.via CROSS JOIN cl
		JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
		CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p(priv)
		WHERE has_any_column_privilege(via.role, cl.oid, p.priv) AND NOT has_table_privilege(via.role, cl.oid, p.priv)
		  AND has_column_privilege(via.role, cl.oid, a.attnum, p.priv) AND NOT has_column_privilege('public'::name, cl.oid, a.attnum, p.priv)
		ORDER BY 1, 2, 3, 4`, schema, tables, of)
	if err != nil {
		return nil, fmt.Errorf("read what the roles of memberships hold in schema %s: %w", schema, err)
	}
	defer rows.Close()
	reach := map[string][]platform.Privilege{}
	for rows.Next() {
		p := platform.Privilege{Schema: schema}
		if err := rows.Scan(&p.Role, &p.Table, &p.Column, &p.Priv); err != nil {
			return nil, err
		}
		reach[p.Role] = append(reach[p.Role], p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, m := range ms {
		if m.Reaches = reach[m.Of]; len(m.Reaches) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
}

// RoleExists reports whether the role exists.
func (c *conn) RoleExists(ctx context.Context, role string) (bool, error) {
	var ok bool
	err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&ok)
	return ok, err
}

// Exec runs a statement; creating a role that now exists succeeds.
func (c *conn) Exec(ctx context.Context, stmt string) error {
	_, err := c.pool.Exec(ctx, stmt)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42710" && strings.HasPrefix(stmt, "CREATE ROLE") {
		return nil // another replica created it first
	}
	if errors.As(err, &pe) && pe.Code == "42501" {
		return platform.Refused(fmt.Errorf("%w (the platform user needs CREATEROLE to create roles; to grant on a table it must own it, hold the privilege WITH GRANT OPTION, or be a member of its owner; to end a membership in a role, the role's ADMIN OPTION, or CREATEROLE before PostgreSQL 16)", err))
	}
	if pe != nil {
		return platform.Refused(err)
	}
	return err
}
