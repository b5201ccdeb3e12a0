package mesh

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Permission is one Lake Formation permission name.
type Permission string

// The permissions a grant may carry. ALL implies every other one.
const (
	PermDescribe    Permission = "DESCRIBE"
	PermSelect      Permission = "SELECT"
	PermInsert      Permission = "INSERT"
	PermDelete      Permission = "DELETE"
	PermAlter       Permission = "ALTER"
	PermDrop        Permission = "DROP"
	PermCreateTable Permission = "CREATE_TABLE"
	PermAll         Permission = "ALL"
)

// AllPermissions lists every permission in display order.
var AllPermissions = []Permission{PermDescribe, PermSelect, PermInsert, PermDelete, PermAlter, PermDrop, PermCreateTable, PermAll}

// Permissions is a set of permissions as a bit set, so that decisions test
// membership without allocating. It is written in JSON as a list of names.
type Permissions uint16

// permBit gives each permission its bit.
var permBit = map[Permission]Permissions{
	PermDescribe: 1 << 0, PermSelect: 1 << 1, PermInsert: 1 << 2, PermDelete: 1 << 3,
	PermAlter: 1 << 4, PermDrop: 1 << 5, PermCreateTable: 1 << 6, PermAll: 1 << 7,
}

// Bit returns the set holding only p (0 for an unknown name).
func (p Permission) Bit() Permissions { return permBit[p] }

// Valid reports whether p is a known permission name.
func (p Permission) Valid() bool { return permBit[p] != 0 }

// ParsePermissions reads names such as "SELECT,DESCRIBE" (case-insensitive,
// comma-separated, blanks ignored). Unknown names are an EINVALID error naming field.
func ParsePermissions(field string, names ...string) (Permissions, error) {
	var s Permissions
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.ToUpper(strings.TrimSpace(part))
			if part == "" {
				continue
			}
			b := Permission(part).Bit()
			if b == 0 {
				return 0, Invalid(field, "unknown permission %q (want one of %s)", part, joinPerms(AllPermissions))
			}
			s |= b
		}
	}
	return s, nil
}

// PermissionsOf returns the set holding ps.
func PermissionsOf(ps ...Permission) Permissions {
	var s Permissions
	for _, p := range ps {
		s |= p.Bit()
	}
	return s
}

// Has reports whether the set allows p: it holds p, or it holds ALL.
func (s Permissions) Has(p Permission) bool {
	b := p.Bit()
	return b != 0 && (s&b != 0 || s&PermAll.Bit() != 0)
}

// Contains reports whether s allows every permission of o.
func (s Permissions) Contains(o Permissions) bool {
	if s&PermAll.Bit() != 0 {
		return true
	}
	return o&^s == 0
}

// explicitPermissions is what ALL stands for: every other permission.
var explicitPermissions = PermissionsOf(PermDescribe, PermSelect, PermInsert, PermDelete, PermAlter, PermDrop, PermCreateTable)

// Explicit returns s with ALL spelled out as every other permission.
func (s Permissions) Explicit() Permissions {
	if s&PermAll.Bit() != 0 {
		return explicitPermissions
	}
	return s
}

// Without returns s less the permissions of o, the way a revocation takes
// them (as in PostgreSQL): ALL in o removes everything, and ALL in s is
// spelled out first, so that taking one permission from ALL leaves every
// other one.
func (s Permissions) Without(o Permissions) Permissions {
	switch {
	case o&PermAll.Bit() != 0:
		return 0
	case o == 0:
		return s
	}
	return s.Explicit() &^ o
}

// List returns the names in the set, in display order.
func (s Permissions) List() []Permission {
	out := []Permission{}
	for _, p := range AllPermissions {
		if s&p.Bit() != 0 {
			out = append(out, p)
		}
	}
	return out
}

// String returns the names joined by commas ("DESCRIBE,SELECT").
func (s Permissions) String() string { return joinPerms(s.List()) }

func joinPerms(ps []Permission) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ",")
}

// MarshalJSON writes the set as a list of names.
func (s Permissions) MarshalJSON() ([]byte, error) { return json.Marshal(s.List()) }

// UnmarshalJSON reads a list of names; it refuses others with a ValueError.
func (s *Permissions) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return ValueError[Permissions]("must be a list of permission names")
	}
	v, err := ParsePermissions("permissions", names...)
	if err != nil {
		return ValueError[Permissions](ErrorMessage(err))
	}
	*s = v
	return nil
}

// AllTables is the table name that stands for every table of a database,
// present and future, as the reference design's workflow input writes it.
const AllTables = "*"

// Resource names a catalog resource a grant or a decision is about:
// a database (Table empty), all tables of a database (Table "*"), a table,
// or some columns of a table (Columns, an include list, or ExcludedColumns,
// an exclude list; at most one of them).
type Resource struct {
	Database        string   `json:"database"`
	Table           string   `json:"table,omitempty"`
	Columns         []string `json:"columns,omitempty"`
	ExcludedColumns []string `json:"excluded_columns,omitempty"`
}

// ResourceKind classifies a Resource.
type ResourceKind string

// The kinds of resource.
const (
	KindDatabase  ResourceKind = "database"
	KindAllTables ResourceKind = "all_tables"
	KindTable     ResourceKind = "table"
	KindColumns   ResourceKind = "columns"
)

// Kind returns what the resource names.
func (r Resource) Kind() ResourceKind {
	switch {
	case r.Table == "":
		return KindDatabase
	case r.Table == AllTables:
		return KindAllTables
	case len(r.Columns) > 0 || len(r.ExcludedColumns) > 0:
		return KindColumns
	}
	return KindTable
}

// Normalize sorts and deduplicates the column lists, so that the same
// resource always has the same key.
func (r Resource) Normalize() Resource {
	norm := func(cs []string) []string {
		if len(cs) == 0 {
			return nil
		}
		out := slices.Clone(cs)
		slices.Sort(out)
		return slices.Compact(out)
	}
	r.Columns, r.ExcludedColumns = norm(r.Columns), norm(r.ExcludedColumns)
	return r
}

// Validate checks the names and the shape of the resource.
func (r Resource) Validate() error {
	if err := ValidateName("resource.database", r.Database); err != nil {
		return err
	}
	if r.Table != "" && r.Table != AllTables {
		if err := ValidateName("resource.table", r.Table); err != nil {
			return err
		}
	}
	if len(r.Columns) > 0 && len(r.ExcludedColumns) > 0 {
		return Invalid("resource.columns", "give columns or excluded_columns, not both")
	}
	if (len(r.Columns) > 0 || len(r.ExcludedColumns) > 0) && (r.Table == "" || r.Table == AllTables) {
		return Invalid("resource.columns", "column lists need one table")
	}
	cols := r.Columns
	if len(cols) == 0 {
		cols = r.ExcludedColumns // at most one of the lists is set
	}
	for _, c := range cols {
		if err := ValidateName("resource.columns", c); err != nil {
			return err
		}
	}
	return nil
}

// String describes the resource for messages: "table sales.orders".
func (r Resource) String() string {
	switch r.Kind() {
	case KindDatabase:
		return "database " + r.Database
	case KindAllTables:
		return "all tables of database " + r.Database
	case KindColumns:
		if len(r.Columns) > 0 {
			return "columns " + strings.Join(r.Columns, ", ") + " of table " + r.Database + "." + r.Table
		}
		return "table " + r.Database + "." + r.Table + " except columns " + strings.Join(r.ExcludedColumns, ", ")
	}
	return "table " + r.Database + "." + r.Table
}

// Principal names who a grant is for: an account ("222233334444") or one of
// its users ("222233334444/alice").
type Principal string

// ParsePrincipal splits and validates a principal.
func ParsePrincipal(field, s string) (Principal, error) {
	acct, user, isUser := strings.Cut(s, "/")
	if err := ValidateAccountID(field, acct); err != nil {
		return "", err
	}
	if isUser {
		if err := ValidateUsername(field, user); err != nil {
			return "", err
		}
	}
	return Principal(s), nil
}

// UserPrincipal returns the principal of a user of an account.
func UserPrincipal(accountID, username string) Principal {
	return Principal(accountID + "/" + username)
}

// Account returns the principal's account id.
func (p Principal) Account() string {
	a, _, _ := strings.Cut(string(p), "/")
	return a
}

// User returns the user name, or "" for an account principal.
func (p Principal) User() string {
	_, u, _ := strings.Cut(string(p), "/")
	return u
}

// IsAccount reports whether the principal is a whole account.
func (p Principal) IsAccount() bool { return !strings.Contains(string(p), "/") }

// SourceSharing is the source of the grants the data-sharing workflow makes
// for its requests, on the owner's behalf. They are kept apart from the
// owner's own grants to the same principal, so that a request that ends
// takes back only what the requests gave ('@' is in no principal).
const SourceSharing Principal = "@sharing"

// Grant states.
const (
	// GrantActive grants count in decisions.
	GrantActive = "active"
	// GrantPending grants wait for their share to be accepted; they allow nothing.
	GrantPending = "pending"
)

// Grant gives a principal permissions on a resource; Grantable is the subset
// it may pass on (held WITH GRANT OPTION).
type Grant struct {
	ID          int64       `json:"id"`
	Principal   Principal   `json:"principal"`
	Resource    Resource    `json:"resource"`
	Permissions Permissions `json:"permissions"`
	Grantable   Permissions `json:"grantable"`
	// Status is GrantActive, or GrantPending while its share awaits acceptance.
	Status string `json:"status"`
	// ShareID is the share a cross-account grant belongs to (0 for none).
	ShareID int64 `json:"share_id,omitempty"`
	// Source is the principal whose grant option this grant was made from
	// (empty when a mesh admin or the owning account's admin made it;
	// SourceSharing when the data-sharing workflow did, on the owner's
	// behalf). When the source's holding shrinks, the grant shrinks with it.
	Source    Principal `json:"source,omitempty"`
	GrantedBy string    `json:"granted_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version is the access version of the grant's last change.
	Version int64 `json:"-"`
}

// Share states.
const (
	SharePending  = "pending"
	ShareActive   = "active"
	ShareRejected = "rejected"
	ShareExpired  = "expired"
)

// Share is a resource of the central catalog (a database, or one table)
// shared with another account. It is active once the account's admins accept
// its invitation, or at once within the central account's organization.
type Share struct {
	ID        int64     `json:"id"`
	AccountID string    `json:"account_id"`
	Database  string    `json:"database"`
	Table     string    `json:"table,omitempty"` // empty: the database
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Invitation states.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRejected = "rejected"
	InvitationExpired  = "expired"
	// InvitationWithdrawn: the share ended (its grants were revoked) before a decision.
	InvitationWithdrawn = "withdrawn"
)

// Invitation asks an account's admins to accept a share (RAM's resource share invitation).
type Invitation struct {
	ID        int64     `json:"id"`
	ShareID   int64     `json:"share_id"`
	AccountID string    `json:"account_id"` // the invited account
	Database  string    `json:"database"`
	Table     string    `json:"table,omitempty"`
	Status    string    `json:"status"`
	SentBy    string    `json:"sent_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
}

// EffectiveStatus is the invitation's status at now: a pending invitation
// past its expiry is expired even before a sweep records it.
func (i *Invitation) EffectiveStatus(now time.Time) string {
	if i.Status == InvitationPending && !now.Before(i.ExpiresAt) {
		return InvitationExpired
	}
	return i.Status
}

// ResourceLink is a named pointer in a consumer account's catalog view at a
// shared database or table of the central catalog.
type ResourceLink struct {
	ID        int64     `json:"id"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	Database  string    `json:"database"`
	Table     string    `json:"table,omitempty"` // empty: the database
	ShareID   int64     `json:"share_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Decision is the answer to "may principal do action on resource".
type Decision struct {
	Allowed bool `json:"allowed"`
	// Grants lists the ids of the grants that allowed it.
	Grants []int64 `json:"grants"`
	Reason string  `json:"reason"`
}
