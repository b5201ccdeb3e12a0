package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/client"
)

// CatalogCmd groups the catalog commands, named as the AWS CLI's Glue
// commands so the reference design's instructions work with meshgate.
type CatalogCmd struct {
	GetDatabase    GetDatabaseCmd    `cmd:"" help:"Show a database and its parameters (-o json: Glue's GetDatabase response)."`
	GetDatabases   GetDatabasesCmd   `cmd:"" help:"List databases."`
	CreateDatabase CreateDatabaseCmd `cmd:"" help:"Create a database from Glue's DatabaseInput JSON."`
	UpdateDatabase UpdateDatabaseCmd `cmd:"" help:"Replace a database's definition with Glue's DatabaseInput JSON."`
	DeleteDatabase DeleteDatabaseCmd `cmd:"" help:"Delete a database."`
	GetTable       GetTableCmd       `cmd:"" help:"Show a table and its columns (-o json: Glue's GetTable response)."`
	GetTables      GetTablesCmd      `cmd:"" help:"List a database's tables."`
	CreateTable    CreateTableCmd    `cmd:"" help:"Create a table from Glue's TableInput JSON."`
	UpdateTable    UpdateTableCmd    `cmd:"" help:"Replace a table's definition with Glue's TableInput JSON."`
	DeleteTable    DeleteTableCmd    `cmd:"" help:"Delete a table."`
	Search         SearchCmd         `cmd:"" help:"Search database, table and column names, descriptions and parameter values."`
}

// printRawJSON prints a JSON answer indented.
func printRawJSON(g *Globals, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return g.PrintJSON(v)
}

// readJSONInput reads a --…-input flag (inline JSON, file://path or -).
func readJSONInput(flag, v string) (json.RawMessage, error) {
	b, err := readInput(v)
	if err != nil {
		return nil, fmt.Errorf("read --%s: %w", flag, err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--%s is not valid JSON", flag)
	}
	return json.RawMessage(b), nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// GetDatabaseCmd shows a database.
type GetDatabaseCmd struct {
	Name string `required:"" help:"Database name."`
}

// Run shows the database.
func (c *GetDatabaseCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client()
	if g.JSON() {
		raw, err := cl.GetDatabaseGlue(ctx, c.Name)
		if err != nil {
			return err
		}
		return printRawJSON(g, raw)
	}
	d, err := cl.GetDatabase(ctx, c.Name)
	if err != nil {
		return err
	}
	return g.PrintTable([]string{"FIELD", "VALUE"}, databaseRows(d))
}

func databaseRows(d *client.Database) [][]string {
	rows := [][]string{
		{"name", d.Name},
		{"description", d.Description},
		{"location_uri", d.LocationURI},
		{"version", strconv.FormatInt(d.Version, 10)},
		{"created_at", fmtTime(d.CreatedAt)},
		{"updated_at", fmtTime(d.UpdatedAt)},
	}
	for _, k := range sortedKeys(d.Parameters) {
		rows = append(rows, []string{"parameters." + k, d.Parameters[k]})
	}
	return rows
}

// listFlags are the filters and paging of a listing.
type listFlags struct {
	Owner     string `help:"Only resources whose data_owner is this account."`
	PII       string `name:"pii" help:"Only resources holding (true) or not holding (false) personal data." enum:",true,false" default:""`
	Limit     int    `help:"Page size (1-1000)." default:"100"`
	NextToken string `help:"Continue from a previous page's next token."`
}

func (f listFlags) options() client.CatalogListOptions {
	o := client.CatalogListOptions{Owner: f.Owner, Limit: f.Limit, NextToken: f.NextToken}
	if f.PII != "" {
		b := f.PII == "true"
		o.PII = &b
	}
	return o
}

// GetDatabasesCmd lists databases.
type GetDatabasesCmd struct {
	listFlags
}

// Run lists one page of databases.
func (c *GetDatabasesCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client()
	if g.JSON() {
		raw, err := cl.ListDatabasesGlue(ctx, c.options())
		if err != nil {
			return err
		}
		return printRawJSON(g, raw)
	}
	p, err := cl.ListDatabases(ctx, c.options())
	if err != nil {
		return err
	}
	rows := rowsOf(p.Databases, func(d client.Database) []string {
		return []string{d.Name, d.Parameters["data_owner"], d.Parameters["data_owner_name"],
			d.Parameters["pii_flag"], strconv.FormatInt(d.Version, 10), d.Description}
	})
	return printPage(g, []string{"NAME", "DATA_OWNER", "OWNER_NAME", "PII_FLAG", "VERSION", "DESCRIPTION"}, rows, p.NextToken)
}

// CreateDatabaseCmd creates a database.
type CreateDatabaseCmd struct {
	DatabaseInput string `required:"" help:"Glue DatabaseInput JSON: inline, file://path or - for stdin."`
}

// Run creates the database.
func (c *CreateDatabaseCmd) Run(ctx context.Context, g *Globals) error {
	in, err := readJSONInput("database-input", c.DatabaseInput)
	if err != nil {
		return err
	}
	raw, err := g.Client().CreateDatabaseGlue(ctx, in)
	if err != nil {
		return err
	}
	return printGlueResult(g, raw, "Database", "created database")
}

// printGlueResult prints a Glue-shaped answer with -o json, else one line.
func printGlueResult(g *Globals, raw json.RawMessage, key, verb string) error {
	if g.JSON() {
		return printRawJSON(g, raw)
	}
	var out map[string]struct {
		Name      string `json:"Name"`
		VersionID string `json:"VersionId"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	_, err := fmt.Fprintf(g.stdout, "%s %s\n", verb, out[key].Name)
	return err
}

// UpdateDatabaseCmd replaces a database's definition.
type UpdateDatabaseCmd struct {
	Name          string `required:"" help:"Database name."`
	DatabaseInput string `required:"" help:"Glue DatabaseInput JSON: inline, file://path or - for stdin. It replaces the whole definition, as in Glue."`
	Version       int64  `help:"The version the input was made from; by default the current one is read first."`
}

// Run reads the current version (unless given) and sends the update with it.
func (c *UpdateDatabaseCmd) Run(ctx context.Context, g *Globals) error {
	in, err := readJSONInput("database-input", c.DatabaseInput)
	if err != nil {
		return err
	}
	cl := g.Client()
	version := c.Version
	if version == 0 {
		d, err := cl.GetDatabase(ctx, c.Name)
		if err != nil {
			return err
		}
		version = d.Version
	}
	raw, err := cl.UpdateDatabaseGlue(ctx, c.Name, in, version)
	if err != nil {
		return err
	}
	return printGlueResult(g, raw, "Database", "updated database")
}

// DeleteDatabaseCmd deletes a database.
type DeleteDatabaseCmd struct {
	Name  string `required:"" help:"Database name."`
	Force bool   `help:"Delete its tables too (and revoke what refers to them)."`
}

// Run deletes the database.
func (c *DeleteDatabaseCmd) Run(ctx context.Context, g *Globals) error {
	if err := g.Client().DeleteDatabase(ctx, c.Name, c.Force); err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]string{"deleted": c.Name})
	}
	_, err := fmt.Fprintf(g.stdout, "deleted database %s\n", c.Name)
	return err
}

// GetTableCmd shows a table.
type GetTableCmd struct {
	DatabaseName string `required:"" help:"Database name."`
	Name         string `required:"" help:"Table name."`
}

// Run shows the table and its columns.
func (c *GetTableCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client()
	if g.JSON() {
		raw, err := cl.GetTableGlue(ctx, c.DatabaseName, c.Name)
		if err != nil {
			return err
		}
		return printRawJSON(g, raw)
	}
	t, err := cl.GetTable(ctx, c.DatabaseName, c.Name)
	if err != nil {
		return err
	}
	rows := [][]string{
		{"database_name", t.DatabaseName},
		{"name", t.Name},
		{"description", t.Description},
		{"table_type", t.TableType},
		{"location", t.Location},
		{"input_format", t.Format.InputFormat},
		{"output_format", t.Format.OutputFormat},
		{"serde", t.Format.SerDe.SerializationLibrary},
		{"version", strconv.FormatInt(t.Version, 10)},
		{"updated_at", fmtTime(t.UpdatedAt)},
	}
	for _, k := range sortedKeys(t.Parameters) {
		rows = append(rows, []string{"parameters." + k, t.Parameters[k]})
	}
	if err := g.PrintTable([]string{"FIELD", "VALUE"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	var cols [][]string
	for _, group := range []struct {
		kind string
		cs   []client.Column
	}{{"column", t.Columns}, {"partition", t.PartitionKeys}} {
		for _, col := range group.cs {
			cols = append(cols, []string{col.Name, col.Type, group.kind, col.Parameters["pii_flag"], col.Comment, paramString(col.Parameters)})
		}
	}
	return g.PrintTable([]string{"COLUMN", "TYPE", "KIND", "PII_FLAG", "COMMENT", "PARAMETERS"}, cols)
}

func paramString(p map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(p) {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, ",")
}

// GetTablesCmd lists a database's tables.
type GetTablesCmd struct {
	DatabaseName string `required:"" help:"Database name."`
	listFlags
}

// Run lists one page of tables.
func (c *GetTablesCmd) Run(ctx context.Context, g *Globals) error {
	cl := g.Client()
	if g.JSON() {
		raw, err := cl.ListTablesGlue(ctx, c.DatabaseName, c.options())
		if err != nil {
			return err
		}
		return printRawJSON(g, raw)
	}
	p, err := cl.ListTables(ctx, c.DatabaseName, c.options())
	if err != nil {
		return err
	}
	rows := rowsOf(p.Tables, func(t client.Table) []string {
		pii := 0
		for _, cs := range [][]client.Column{t.Columns, t.PartitionKeys} {
			for i := range cs {
				if cs[i].PII() {
					pii++
				}
			}
		}
		return []string{t.Name, t.TableType, strconv.Itoa(len(t.Columns)), strconv.Itoa(pii),
			t.Parameters["pii_flag"], strconv.FormatInt(t.Version, 10), t.Description}
	})
	return printPage(g, []string{"NAME", "TYPE", "COLUMNS", "PII_COLUMNS", "PII_FLAG", "VERSION", "DESCRIPTION"}, rows, p.NextToken)
}

// CreateTableCmd creates a table.
type CreateTableCmd struct {
	DatabaseName string `required:"" help:"Database name."`
	TableInput   string `required:"" help:"Glue TableInput JSON: inline, file://path or - for stdin."`
}

// Run creates the table.
func (c *CreateTableCmd) Run(ctx context.Context, g *Globals) error {
	in, err := readJSONInput("table-input", c.TableInput)
	if err != nil {
		return err
	}
	raw, err := g.Client().CreateTableGlue(ctx, c.DatabaseName, in)
	if err != nil {
		return err
	}
	return printGlueResult(g, raw, "Table", "created table")
}

// UpdateTableCmd replaces a table's definition; the table is the input's Name.
type UpdateTableCmd struct {
	DatabaseName string `required:"" help:"Database name."`
	TableInput   string `required:"" help:"Glue TableInput JSON: inline, file://path or - for stdin. It replaces the whole definition, as in Glue."`
	Version      int64  `help:"The version the input was made from; by default the current one is read first."`
}

// Run reads the current version (unless given) and sends the update with it.
func (c *UpdateTableCmd) Run(ctx context.Context, g *Globals) error {
	in, err := readJSONInput("table-input", c.TableInput)
	if err != nil {
		return err
	}
	var named struct {
		Name string `json:"Name"`
	}
	if err := json.Unmarshal(in, &named); err != nil || named.Name == "" {
		return fmt.Errorf("--table-input needs the table's Name")
	}
	cl := g.Client()
	version := c.Version
	if version == 0 {
		t, err := cl.GetTable(ctx, c.DatabaseName, named.Name)
		if err != nil {
			return err
		}
		version = t.Version
	}
	raw, err := cl.UpdateTableGlue(ctx, c.DatabaseName, named.Name, in, version)
	if err != nil {
		return err
	}
	return printGlueResult(g, raw, "Table", "updated table")
}

// DeleteTableCmd deletes a table.
type DeleteTableCmd struct {
	DatabaseName string `required:"" help:"Database name."`
	Name         string `required:"" help:"Table name."`
}

// Run deletes the table.
func (c *DeleteTableCmd) Run(ctx context.Context, g *Globals) error {
	if err := g.Client().DeleteTable(ctx, c.DatabaseName, c.Name); err != nil {
		return err
	}
	if g.JSON() {
		return g.PrintJSON(map[string]string{"database_name": c.DatabaseName, "deleted": c.Name})
	}
	_, err := fmt.Fprintf(g.stdout, "deleted table %s.%s\n", c.DatabaseName, c.Name)
	return err
}

// SearchCmd searches the catalog.
type SearchCmd struct {
	Query string `required:"" help:"Words to find; all must match; end a word with * to match a prefix."`
	Limit int    `help:"Most hits to show (1-100)." default:"20"`
}

// Run prints the hits, best first.
func (c *SearchCmd) Run(ctx context.Context, g *Globals) error {
	hits, err := g.Client().Search(ctx, c.Query, c.Limit)
	if err != nil {
		return err
	}
	return printRows(g, hits, []string{"KIND", "DATABASE", "TABLE", "COLUMN", "SCORE", "MATCHED"}, hits, func(h client.SearchHit) []string {
		return []string{h.Kind, h.Database, h.Table, h.Column, strconv.FormatFloat(h.Score, 'g', 3, 64), h.Matched}
	})
}
