// Package platform makes approved access real in the databases where the
// data lives. A registered data platform (PostgreSQL, MariaDB) is imported
// into the catalog by sync; for every active grant on one of its objects the
// platform then holds exactly the matching privileges. Grants change inside
// access's transactions, which write an outbox entry (OnGrantChange); after
// the commit the applier brings the platform's privileges on the database in
// line with meshgate's grants, at least once and with statements safe to
// repeat. Reconcile compares and repairs drift; Plan shows the statements a
// grant or revoke would run.
//
// One package per kind below this one (pgplatform, mariadb) implements Conn.
package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// The kinds of platform.
const (
	KindPostgres = "postgres"
	KindMariaDB  = "mariadb"
)

// Role modes: a role per meshgate user, or a fixed mapping of principals.
const (
	RolesPerUser = "per_user"
	RolesFixed   = "fixed"
)

// RolePrefix starts every role meshgate creates per user (mg_<account>_<user>).
// In per_user mode the roles with this prefix are the ones meshgate manages;
// privileges of other roles are left alone.
const RolePrefix = "mg_"

// Platform is a registered data platform as the API shows it. It never holds
// the password: PasswordRef only says where the password is read from.
type Platform struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	DSN         string            `json:"dsn"`
	PasswordRef string            `json:"password_ref,omitempty"`
	AccountID   string            `json:"account_id"`
	Schemas     []string          `json:"schemas,omitempty"`
	RoleMode    string            `json:"role_mode"`
	Roles       map[string]string `json:"roles,omitempty"`
	CreateRoles bool              `json:"create_roles"`
	// Pending is how many outbox entries wait to be applied.
	Pending int `json:"pending"`
}

// Privilege is one privilege a role holds on a platform: on a column, on a
// table (Column empty), or on a whole schema (Table empty: PostgreSQL's
// USAGE, a MariaDB privilege on db.*).
type Privilege struct {
	Role   string `json:"role"`
	Schema string `json:"schema"`
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	Priv   string `json:"privilege"`
	// On, when set, is what a privilege reaching the schema's tables was
	// granted on, written as a GRANT writes it, when that is more than the
	// schema: every database (MariaDB's *.*) or the databases a name
	// pattern matches (`sales%`.*). Its REVOKE changes what the role holds
	// on objects meshgate does not manage too: meshgate revokes it from a
	// per-user role and reports it on any other (see scope.ends).
	On string `json:"on,omitempty"`
}

// describe names the privilege and its object for messages.
func (p Privilege) describe() string {
	switch {
	case p.On != "":
		return p.Priv + " ON " + p.On
	case p.Table == "":
		return p.Priv + " on schema " + p.Schema
	case p.Column == "":
		return p.Priv + " on table " + p.Schema + "." + p.Table
	}
	return p.Priv + " on column " + p.Column + " of table " + p.Schema + "." + p.Table
}

// Membership is a managed role's membership in another role (GRANT Of TO
// Role), through which it holds what Of holds. meshgate grants no
// memberships: one through which the role reaches the managed objects is
// drift, as a privilege granted by hand is.
type Membership struct {
	Role string `json:"role"`
	Of   string `json:"of"`
	// Login is set when Role can log in: it is someone's account, even
	// with meshgate's prefix, and meshgate does not end its memberships.
	Login bool `json:"login,omitempty"`
	// Reaches is what Of holds on the managed tables, itself or through
	// its own memberships, beyond what every role holds (PUBLIC).
	Reaches []Privilege `json:"reaches"`
}

// describe names the membership and some of what it reaches for messages.
func (m Membership) describe() string {
	var b strings.Builder
	b.WriteString("role " + m.Role + " is a member of role " + m.Of + ", which holds ")
	for i, p := range m.Reaches {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(m.Reaches)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.describe())
	}
	return b.String()
}

// Column is a column read from a platform's information schema.
type Column struct {
	Name    string
	Type    string
	Comment string
}

// Table is a table read from a platform's information schema.
type Table struct {
	Name    string
	Comment string
	Columns []Column
}

// Schema is a schema (PostgreSQL) or database (MariaDB) with its tables.
type Schema struct {
	Name    string
	Comment string
	Tables  []Table
}

// Conn is an open connection to one platform.
type Conn interface {
	// Inspect reads the named schemas' tables, columns, types and comments.
	Inspect(ctx context.Context, schemas []string) ([]Schema, error)
	// Privileges reads the privileges on the schema and on the named tables
	// and their columns held by the roles managed selects, and those that
	// reach the tables from wider grants (Privilege.On). A read the
	// platform refuses (the user lacks a privilege) returns an error
	// marked with Refused.
	Privileges(ctx context.Context, schema string, tables []string, managed func(role string) bool) ([]Privilege, error)
	// Memberships reads the memberships of the roles managed selects in
	// roles that hold privileges on the named tables of the schema,
	// themselves or through their own memberships. The memberships of the
	// platform user (and of the role it acts as) are left out: they are
	// how it may grant, and never meshgate's to end. A read the platform
	// refuses returns an error marked with Refused.
	Memberships(ctx context.Context, schema string, tables []string, managed func(role string) bool) ([]Membership, error)
	// RoleExists reports whether the role exists.
	RoleExists(ctx context.Context, role string) (bool, error)
	// Exec runs one statement. A revoke of what is not held succeeds, so
	// that every statement is safe to repeat. A statement the platform
	// answered and refused returns an error marked with Refused; any other
	// error (the connection failed) stops the apply.
	Exec(ctx context.Context, stmt string) error
	// Close releases the connection.
	Close() error
}

// Refused marks err as the platform's refusal of a statement: the platform
// is reachable, and statements of other roles may still succeed.
func Refused(err error) error { return refusedError{err} }

// IsRefused reports whether err is a statement the platform refused.
func IsRefused(err error) bool {
	var r refusedError
	return errors.As(err, &r)
}

type refusedError struct{ error }

func (e refusedError) Unwrap() error { return e.error }

// Dialect writes a platform's statements, quoting every identifier.
type Dialect interface {
	// SchemaUsage reports whether a role needs USAGE of a schema to reach its tables.
	SchemaUsage() bool
	// Grant and Revoke write the statement of one privilege, on a table or
	// on columns (cols non-empty), or on the whole schema (table empty).
	Grant(role, schema, table string, cols []string, priv string) string
	Revoke(role, schema, table string, cols []string, priv string) string
	// RevokeOn writes the REVOKE of a privilege granted on more than a
	// schema (Privilege.On, written as the platform wrote it).
	RevokeOn(role, on, priv string) string
	// RevokeRole writes the statement that ends role's membership in of.
	RevokeRole(role, of string) string
	// CreateRole writes the statement that creates a role that cannot log in.
	CreateRole(role string) string
	// RoleName fits a role name to the platform's length limit.
	RoleName(name string) string
}

// Driver opens connections to one kind of platform.
type Driver interface {
	Dialect
	// CheckDSN refuses a DSN that holds a password (it belongs in an
	// environment variable or a file) or does not parse.
	CheckDSN(dsn string) error
	// CheckRole refuses a role name the platform cannot hold as it is
	// (too long, a NUL): quoted, it would name another role than the one
	// looked up, or be refused at every grant.
	CheckRole(role string) error
	// Open connects with the password and checks the connection.
	Open(ctx context.Context, dsn, password string) (Conn, error)
}

// tablePrivileges maps meshgate's permissions to table privileges; the
// others (DESCRIBE, ALTER, DROP, CREATE_TABLE) have no grantable match on
// every platform and stay meshgate's own.
var tablePrivileges = []struct {
	perm mesh.Permission
	priv string
}{{mesh.PermSelect, "SELECT"}, {mesh.PermInsert, "INSERT"}, {mesh.PermDelete, "DELETE"}}

// catalogName turns a platform's name into a catalog name (lowercase
// letters, digits, '_' and '-'); a name that changes on the way gets a short
// hash of the original, so that "Orders" and "orders" stay apart.
func catalogName(native string) string {
	var b strings.Builder
	for _, r := range native {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s != native || s == "" {
		sum := sha256.Sum256([]byte(native))
		s += "-" + hex.EncodeToString(sum[:3])
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// databaseName is the catalog database of a platform's schema.
func databaseName(platform, schema string) string {
	return platform + "-" + catalogName(schema)
}

// UserRole is the default platform role of a meshgate user.
func UserRole(d Dialect, accountID, username string) string {
	return d.RoleName(RolePrefix + accountID + "_" + username)
}

// FitName shortens a name longer than max bytes, keeping it unique with a hash.
func FitName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:max-9] + "_" + hex.EncodeToString(sum[:4])
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
