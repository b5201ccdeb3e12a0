package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// The catalog types whose JSON is the server's own are the server's types.
// Table stays the client's: CreateTables sends it as the body, which must
// leave out the fields the server sets (times, version) while they are zero.
type (
	// Database is a catalog database in meshgate's shape.
	Database = mesh.Database
	// Column is a table column or partition key.
	Column = mesh.Column
	// SerDe names a table's serializer/deserializer.
	SerDe = mesh.SerDe
	// StorageFormat is how a table's files are read and written.
	StorageFormat = mesh.StorageFormat
)

// Table is a catalog table in meshgate's shape.
type Table struct {
	DatabaseName  string            `json:"database_name,omitempty"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	TableType     string            `json:"table_type,omitempty"`
	Location      string            `json:"location,omitempty"`
	Format        StorageFormat     `json:"format"`
	Parameters    map[string]string `json:"parameters,omitempty"`
	Columns       []Column          `json:"columns"`
	PartitionKeys []Column          `json:"partition_keys,omitempty"`
	CreatedAt     time.Time         `json:"created_at,omitzero"`
	UpdatedAt     time.Time         `json:"updated_at,omitzero"`
	Version       int64             `json:"version,omitempty"`
}

// SearchHit is one catalog search result.
type SearchHit struct {
	Kind     string  `json:"kind"`
	Database string  `json:"database"`
	Table    string  `json:"table,omitempty"`
	Column   string  `json:"column,omitempty"`
	Matched  string  `json:"matched"`
	Score    float64 `json:"score"`
}

// CatalogListOptions filter and page a catalog listing.
type CatalogListOptions struct {
	Owner     string
	PII       *bool
	Limit     int
	NextToken string
}

func (o CatalogListOptions) query(glue bool) url.Values {
	q := url.Values{}
	if o.Owner != "" {
		q.Set("owner", o.Owner)
	}
	if o.PII != nil {
		q.Set("pii", strconv.FormatBool(*o.PII))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.NextToken != "" {
		q.Set("next_token", o.NextToken)
	}
	if glue {
		q.Set("shape", "glue")
	}
	return q
}

// DatabasePage is one page of databases.
type DatabasePage struct {
	Databases []Database `json:"databases"`
	NextToken string     `json:"next_token"`
}

// TablePage is one page of tables.
type TablePage struct {
	Tables    []Table `json:"tables"`
	NextToken string  `json:"next_token"`
}

var glueQuery = url.Values{"shape": {"glue"}}

func databasePath(name string) string { return "/api/v1/catalog/databases/" + PathEscape(name) }

func tablePath(database, name string) string {
	return databasePath(database) + "/tables/" + PathEscape(name)
}

// GetDatabase returns a database.
func (c *Client) GetDatabase(ctx context.Context, name string) (*Database, error) {
	var d Database
	return &d, c.Do(ctx, http.MethodGet, databasePath(name), nil, nil, &d)
}

// GetDatabaseGlue returns Glue's GetDatabase response: {"Database": {...}}.
func (c *Client) GetDatabaseGlue(ctx context.Context, name string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodGet, databasePath(name), glueQuery, nil, &out)
}

// ListDatabases returns one page of databases.
func (c *Client) ListDatabases(ctx context.Context, o CatalogListOptions) (*DatabasePage, error) {
	var p DatabasePage
	return &p, c.Do(ctx, http.MethodGet, "/api/v1/catalog/databases", o.query(false), nil, &p)
}

// ListDatabasesGlue returns Glue's GetDatabases response: {"DatabaseList": [...], "NextToken"}.
func (c *Client) ListDatabasesGlue(ctx context.Context, o CatalogListOptions) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodGet, "/api/v1/catalog/databases", o.query(true), nil, &out)
}

// CreateDatabase creates a database from meshgate's shape.
func (c *Client) CreateDatabase(ctx context.Context, d *Database) (*Database, error) {
	in := map[string]any{"name": d.Name, "description": d.Description, "location_uri": d.LocationURI, "parameters": d.Parameters}
	var out Database
	return &out, c.Do(ctx, http.MethodPost, "/api/v1/catalog/databases", nil, in, &out)
}

// CreateDatabaseGlue creates a database from Glue's DatabaseInput JSON and
// returns {"Database": {...}}.
func (c *Client) CreateDatabaseGlue(ctx context.Context, databaseInput json.RawMessage) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodPost, "/api/v1/catalog/databases", glueQuery, databaseInput, &out)
}

// UpdateDatabaseGlue replaces a database's definition with Glue's
// DatabaseInput JSON, if the database is still at version.
func (c *Client) UpdateDatabaseGlue(ctx context.Context, name string, databaseInput json.RawMessage, version int64) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.doVersioned(ctx, http.MethodPut, databasePath(name), glueQuery, databaseInput, version, &out)
}

// DeleteDatabase deletes a database; force deletes its tables too.
func (c *Client) DeleteDatabase(ctx context.Context, name string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return c.Do(ctx, http.MethodDelete, databasePath(name), q, nil, nil)
}

// GetTable returns a table.
func (c *Client) GetTable(ctx context.Context, database, name string) (*Table, error) {
	var t Table
	return &t, c.Do(ctx, http.MethodGet, tablePath(database, name), nil, nil, &t)
}

// GetTableGlue returns Glue's GetTable response: {"Table": {...}}.
func (c *Client) GetTableGlue(ctx context.Context, database, name string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodGet, tablePath(database, name), glueQuery, nil, &out)
}

// ListTables returns one page of a database's tables.
func (c *Client) ListTables(ctx context.Context, database string, o CatalogListOptions) (*TablePage, error) {
	var p TablePage
	return &p, c.Do(ctx, http.MethodGet, databasePath(database)+"/tables", o.query(false), nil, &p)
}

// ListTablesGlue returns Glue's GetTables response: {"TableList": [...], "NextToken"}.
func (c *Client) ListTablesGlue(ctx context.Context, database string, o CatalogListOptions) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodGet, databasePath(database)+"/tables", o.query(true), nil, &out)
}

// CreateTableGlue creates a table from Glue's TableInput JSON and returns {"Table": {...}}.
func (c *Client) CreateTableGlue(ctx context.Context, database string, tableInput json.RawMessage) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodPost, databasePath(database)+"/tables", glueQuery, tableInput, &out)
}

// CreateTables creates several tables of a database in one transaction (all or none).
func (c *Client) CreateTables(ctx context.Context, database string, tables []Table) error {
	return c.Do(ctx, http.MethodPost, databasePath(database)+"/tables:batch", nil, map[string]any{"tables": tables}, nil)
}

// UpdateTableGlue replaces a table's definition with Glue's TableInput JSON,
// if the table is still at version.
func (c *Client) UpdateTableGlue(ctx context.Context, database, name string, tableInput json.RawMessage, version int64) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.doVersioned(ctx, http.MethodPut, tablePath(database, name), glueQuery, tableInput, version, &out)
}

// DeleteTable deletes a table.
func (c *Client) DeleteTable(ctx context.Context, database, name string) error {
	return c.Do(ctx, http.MethodDelete, tablePath(database, name), nil, nil, nil)
}

// Search runs a ranked full-text search of the catalog.
func (c *Client) Search(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	q := url.Values{"q": {query}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Hits []SearchHit `json:"hits"`
	}
	return out.Hits, c.Do(ctx, http.MethodGet, "/api/v1/catalog/search", q, nil, &out)
}

// doVersioned is Do with an If-Match header carrying the version an update was made from.
func (c *Client) doVersioned(ctx context.Context, method, path string, query url.Values, in any, version int64, out any) error {
	h := http.Header{"If-Match": {`"` + strconv.FormatInt(version, 10) + `"`}}
	return c.do(ctx, method, path, query, h, in, out)
}
