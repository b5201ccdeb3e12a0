package mesh

import (
	"maps"
	"slices"
	"time"
)

// Catalog parameter names the workflow reads, at database, table and column level.
const (
	ParamDataOwner     = "data_owner"      // the owning account's id
	ParamDataOwnerName = "data_owner_name" // the owner's display name
	ParamPIIFlag       = "pii_flag"        // "true" marks personal data, "false" not (any case); the catalog refuses other values
)

// Database is a catalog database (Glue's Database): a data product of the
// account named by its data_owner parameter.
type Database struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	LocationURI string            `json:"location_uri,omitempty"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	// Version grows by one with every change; updates carry the version they read.
	Version int64 `json:"version"`
}

// Clone returns a deep copy of d.
func (d *Database) Clone() *Database {
	c := *d
	c.Parameters = maps.Clone(d.Parameters)
	return &c
}

// DataOwner returns the owning account's id, or "" when the database has none
// (such a database cannot be requested).
func (d *Database) DataOwner() string { return d.Parameters[ParamDataOwner] }

// PII reports whether the database itself is flagged as holding personal data.
// A whole-database request must also count its tables' and columns' flags
// (see DatabaseHasPII).
func (d *Database) PII() bool { return ParseBool(d.Parameters[ParamPIIFlag]) }

// Column is a table column or partition key (Glue's Column).
type Column struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Comment    string            `json:"comment,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
}

// PII reports whether the column is flagged as holding personal data.
func (c *Column) PII() bool { return ParseBool(c.Parameters[ParamPIIFlag]) }

// SerDe names the serializer/deserializer of a table's storage (Glue's SerDeInfo).
type SerDe struct {
	Name                 string            `json:"name,omitempty"`
	SerializationLibrary string            `json:"serialization_library,omitempty"`
	Parameters           map[string]string `json:"parameters,omitempty"`
}

// StorageFormat is how a table's files are read and written, the part of
// Glue's StorageDescriptor meshgate keeps.
type StorageFormat struct {
	InputFormat  string `json:"input_format,omitempty"`
	OutputFormat string `json:"output_format,omitempty"`
	SerDe        SerDe  `json:"serde"`
}

// Table is a catalog table (Glue's Table).
type Table struct {
	DatabaseName  string            `json:"database_name"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	TableType     string            `json:"table_type,omitempty"`
	Location      string            `json:"location,omitempty"`
	Format        StorageFormat     `json:"format"`
	Parameters    map[string]string `json:"parameters,omitempty"`
	Columns       []Column          `json:"columns"`
	PartitionKeys []Column          `json:"partition_keys,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	Version       int64             `json:"version"`
}

// Clone returns a deep copy of t.
func (t *Table) Clone() *Table {
	c := *t
	c.Format.SerDe.Parameters = maps.Clone(t.Format.SerDe.Parameters)
	c.Parameters = maps.Clone(t.Parameters)
	c.Columns = CloneColumns(t.Columns)
	c.PartitionKeys = CloneColumns(t.PartitionKeys)
	return &c
}

// CloneColumns returns a deep copy of cs (nil for nil).
func CloneColumns(cs []Column) []Column {
	if cs == nil {
		return nil
	}
	out := slices.Clone(cs)
	for i := range out {
		out[i].Parameters = maps.Clone(cs[i].Parameters)
	}
	return out
}

// DataOwner returns the table's own data_owner parameter. Ownership for
// authorization is the database's: a table belongs to its database's owner.
func (t *Table) DataOwner() string { return t.Parameters[ParamDataOwner] }

// PII reports whether the table itself is flagged as holding personal data.
func (t *Table) PII() bool { return ParseBool(t.Parameters[ParamPIIFlag]) }

// HasPII reports whether the table or any of its columns or partition keys is
// flagged as holding personal data.
func (t *Table) HasPII() bool {
	if t.PII() {
		return true
	}
	for i := range t.Columns {
		if t.Columns[i].PII() {
			return true
		}
	}
	for i := range t.PartitionKeys {
		if t.PartitionKeys[i].PII() {
			return true
		}
	}
	return false
}

// PIIColumns returns the names of the columns and partition keys flagged as
// holding personal data.
func (t *Table) PIIColumns() []string {
	var out []string
	for _, cs := range [][]Column{t.Columns, t.PartitionKeys} {
		for i := range cs {
			if cs[i].PII() {
				out = append(out, cs[i].Name)
			}
		}
	}
	return out
}

// DatabaseHasPII reports whether a request for the whole database touches
// personal data: the database's own flag, or any table's or column's. (The
// reference design checked only the database's flag; that is the bug this fixes.)
func DatabaseHasPII(d *Database, tables []*Table) bool {
	if d.PII() {
		return true
	}
	for _, t := range tables {
		if t.HasPII() {
			return true
		}
	}
	return false
}
