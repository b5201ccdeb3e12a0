package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

const databaseCols = `id, name, description, location_uri, parameters, created_at, updated_at, version`

func scanDatabase(row rowScanner) (*mesh.Database, int64, error) {
	var d mesh.Database
	var id int64
	var params, created, updated string
	if err := row.Scan(&id, &d.Name, &d.Description, &d.LocationURI, &params, &created, &updated, &d.Version); err != nil {
		return nil, 0, err
	}
	if err := unmarshalMap(params, &d.Parameters); err != nil {
		return nil, 0, fmt.Errorf("database %s parameters: %w", d.Name, err)
	}
	var err error
	if d.CreatedAt, err = parseTime(created); err != nil {
		return nil, 0, err
	}
	if d.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, 0, err
	}
	return &d, id, nil
}

// unmarshalMap decodes a parameter map; "{}" leaves m nil, as it was written.
func unmarshalMap(s string, m *map[string]string) error {
	if s == "" || s == "{}" || s == "null" {
		return nil
	}
	p := &columnScanner{s: s}
	if v, ok := p.params(); ok && p.i == len(s) {
		*m = v
		return nil
	}
	return json.Unmarshal([]byte(s), m)
}

// marshalJSON encodes v without escaping <, > and & (column types such as
// array<string> stay readable, and decodeColumns reads them directly).
func marshalJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("catalog json: " + err.Error()) // plain maps and structs always marshal
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FindDatabase returns the database, or ENOTFOUND.
func (tx *Tx) FindDatabase(ctx context.Context, name string) (*mesh.Database, error) {
	if d, ok := tx.Memo().Database(name); ok {
		return d, nil
	}
	d, _, err := tx.findDatabase(ctx, name)
	if err == nil {
		tx.Memo().PutDatabase(d)
	}
	return d, err
}

// LockDatabase reads the database past the memo; the writer, which this
// transaction holds, keeps others from changing it.
func (tx *Tx) LockDatabase(ctx context.Context, name string) (*mesh.Database, error) {
	d, _, err := tx.findDatabase(ctx, name)
	if err == nil {
		tx.Memo().PutDatabase(d)
	}
	return d, err
}

func (tx *Tx) findDatabase(ctx context.Context, name string) (*mesh.Database, int64, error) {
	d, id, err := scanDatabase(tx.tx.QueryRowContext(ctx, `SELECT `+databaseCols+` FROM catalog_databases WHERE name = ?`, name))
	if isNoRows(err) {
		return nil, 0, mesh.NotFound("database", name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("find database %s: %w", name, err)
	}
	return d, id, nil
}

// piiExpr is true for a database holding personal data anywhere.
const piiExpr = `(d.pii = 1 OR EXISTS (SELECT 1 FROM catalog_tables t WHERE t.database_id = d.id AND t.has_pii = 1))`

// FindDatabases returns the databases matching f, in name order.
func (tx *Tx) FindDatabases(ctx context.Context, f store.DatabaseFilter) ([]*mesh.Database, error) {
	where := []string{"d.name > ?"}
	args := []any{f.After}
	if f.Owner != "" {
		where, args = append(where, "d.owner = ?"), append(args, f.Owner)
	}
	if f.PII != nil {
		if *f.PII {
			where = append(where, piiExpr)
		} else {
			where = append(where, "NOT "+piiExpr)
		}
	}
	q := `SELECT d.id, d.name, d.description, d.location_uri, d.parameters, d.created_at, d.updated_at, d.version
		FROM catalog_databases d WHERE ` + strings.Join(where, " AND ") + ` ORDER BY d.name LIMIT ?`
	rows, err := tx.tx.QueryContext(ctx, q, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find databases: %w", err)
	}
	return collect(rows, "find databases", func(r rowScanner) (*mesh.Database, error) {
		d, _, err := scanDatabase(r)
		return d, err
	})
}

// CreateDatabase inserts d with version 1, or returns ECONFLICT.
func (tx *Tx) CreateDatabase(ctx context.Context, d *mesh.Database) error {
	now := tx.now()
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO catalog_databases
		(name, description, location_uri, location_key, parameters, owner, pii, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (name) DO NOTHING`,
		d.Name, d.Description, d.LocationURI, mesh.LocationKey(d.LocationURI), marshalJSON(d.Parameters), d.DataOwner(), boolInt(d.PII()),
		formatTime(now), formatTime(now))
	if err != nil {
		return fmt.Errorf("create database %s: %w", d.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mesh.Errorf(mesh.ECONFLICT, "database %q exists already", d.Name)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create database %s: %w", d.Name, err)
	}
	d.CreatedAt, d.UpdatedAt, d.Version = now, now, 1
	return tx.indexDatabase(ctx, id, d, false)
}

// indexDatabase writes the database's search row (rowid -id).
func (tx *Tx) indexDatabase(ctx context.Context, id int64, d *mesh.Database, replace bool) error {
	return tx.index(ctx, -id, store.DatabaseDoc(d), replace)
}

func (tx *Tx) index(ctx context.Context, rowid int64, doc store.SearchDoc, replace bool) error {
	if replace {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_fts WHERE rowid = ?`, rowid); err != nil {
			return fmt.Errorf("unindex %d: %w", rowid, err)
		}
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO catalog_fts (rowid, name, description, parameters, columns) VALUES (?, ?, ?, ?, ?)`,
		rowid, doc.Name, doc.Description, doc.Parameters, doc.Columns)
	if err != nil {
		return fmt.Errorf("index %d: %w", rowid, err)
	}
	return nil
}

// UpdateDatabase replaces d's fields if the stored version is expectedVersion.
func (tx *Tx) UpdateDatabase(ctx context.Context, d *mesh.Database, expectedVersion int64) error {
	cur, id, err := tx.findDatabase(ctx, d.Name)
	if err != nil {
		return err
	}
	if cur.Version != expectedVersion {
		return store.VersionConflict("database", d.Name, cur.Version, expectedVersion)
	}
	now := tx.now()
	_, err = tx.tx.ExecContext(ctx, `UPDATE catalog_databases SET description = ?, location_uri = ?, location_key = ?, parameters = ?,
		owner = ?, pii = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		d.Description, d.LocationURI, mesh.LocationKey(d.LocationURI), marshalJSON(d.Parameters), d.DataOwner(), boolInt(d.PII()), formatTime(now), id)
	if err != nil {
		return fmt.Errorf("update database %s: %w", d.Name, err)
	}
	d.CreatedAt, d.UpdatedAt, d.Version = cur.CreatedAt, now, cur.Version+1
	return tx.indexDatabase(ctx, id, d, true)
}

// DeleteDatabase removes the database and its tables.
func (tx *Tx) DeleteDatabase(ctx context.Context, name string) error {
	_, id, err := tx.findDatabase(ctx, name)
	if err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_fts WHERE rowid IN (SELECT id FROM catalog_tables WHERE database_id = ?)`, id); err != nil {
		return fmt.Errorf("delete database %s: unindex tables: %w", name, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_fts WHERE rowid = ?`, -id); err != nil {
		return fmt.Errorf("delete database %s: unindex: %w", name, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_tables WHERE database_id = ?`, id); err != nil {
		return fmt.Errorf("delete database %s: tables: %w", name, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_databases WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete database %s: %w", name, err)
	}
	return nil
}

// CountTables returns how many tables the database has.
func (tx *Tx) CountTables(ctx context.Context, database string) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM catalog_tables WHERE database_name = ?`, database).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tables of %s: %w", database, err)
	}
	return n, nil
}

// TablesHavePII reports whether any table of the database holds personal data.
func (tx *Tx) TablesHavePII(ctx context.Context, database string) (bool, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
		WHERE d.name = ? AND t.has_pii = 1)`, database).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("tables of %s have pii: %w", database, err)
	}
	return n == 1, nil
}

const tableCols = `id, database_name, name, description, table_type, location, format, parameters, columns, partition_keys, created_at, updated_at, version`

func scanTable(row rowScanner) (*mesh.Table, int64, error) {
	var t mesh.Table
	var id int64
	var format, params, cols, parts, created, updated string
	if err := row.Scan(&id, &t.DatabaseName, &t.Name, &t.Description, &t.TableType, &t.Location,
		&format, &params, &cols, &parts, &created, &updated, &t.Version); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(format), &t.Format); err != nil {
		return nil, 0, fmt.Errorf("table %s.%s format: %w", t.DatabaseName, t.Name, err)
	}
	if err := unmarshalMap(params, &t.Parameters); err != nil {
		return nil, 0, fmt.Errorf("table %s.%s parameters: %w", t.DatabaseName, t.Name, err)
	}
	var err error
	if t.Columns, err = decodeColumns(cols); err != nil {
		return nil, 0, fmt.Errorf("table %s.%s columns: %w", t.DatabaseName, t.Name, err)
	}
	if parts != "" && parts != "[]" && parts != "null" {
		if t.PartitionKeys, err = decodeColumns(parts); err != nil {
			return nil, 0, fmt.Errorf("table %s.%s partition keys: %w", t.DatabaseName, t.Name, err)
		}
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, 0, err
	}
	if t.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, 0, err
	}
	return &t, id, nil
}

// FindTable returns the table, or ENOTFOUND.
func (tx *Tx) FindTable(ctx context.Context, database, name string) (*mesh.Table, error) {
	if t, ok := tx.Memo().Table(database, name); ok {
		return t, nil
	}
	t, _, err := tx.findTable(ctx, database, name)
	if err == nil {
		tx.Memo().PutTable(t)
	}
	return t, err
}

func (tx *Tx) findTable(ctx context.Context, database, name string) (*mesh.Table, int64, error) {
	t, id, err := scanTable(tx.tx.QueryRowContext(ctx, `SELECT `+tableCols+` FROM catalog_tables WHERE database_name = ? AND name = ?`, database, name))
	if isNoRows(err) {
		return nil, 0, mesh.NotFound("table", database+"."+name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("find table %s.%s: %w", database, name, err)
	}
	return t, id, nil
}

// FindTables returns the tables matching f, in (database, name) order.
func (tx *Tx) FindTables(ctx context.Context, f store.TableFilter) ([]*mesh.Table, error) {
	var where []string
	var args []any
	if f.Database != "" {
		where, args = append(where, "t.database_name = ? AND t.name > ?"), append(args, f.Database, f.AfterName)
	} else if f.AfterDatabase != "" || f.AfterName != "" {
		where, args = append(where, "(t.database_name, t.name) > (?, ?)"), append(args, f.AfterDatabase, f.AfterName)
	}
	if f.Owner != "" {
		where, args = append(where, "t.database_id IN (SELECT id FROM catalog_databases WHERE owner = ?)"), append(args, f.Owner)
	}
	if f.PII != nil {
		where, args = append(where, "t.has_pii = ?"), append(args, boolInt(*f.PII))
	}
	q := `SELECT t.id, t.database_name, t.name, t.description, t.table_type, t.location, t.format, t.parameters,
		t.columns, t.partition_keys, t.created_at, t.updated_at, t.version FROM catalog_tables t`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY t.database_name, t.name LIMIT ?"
	rows, err := tx.tx.QueryContext(ctx, q, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find tables: %w", err)
	}
	return collect(rows, "find tables", func(r rowScanner) (*mesh.Table, error) {
		t, _, err := scanTable(r)
		return t, err
	})
}

func tableJSON(t *mesh.Table) (format, params, cols, parts string) {
	cs := t.Columns
	if cs == nil {
		cs = []mesh.Column{}
	}
	ps := t.PartitionKeys
	if ps == nil {
		ps = []mesh.Column{}
	}
	return marshalJSON(t.Format), marshalJSON(t.Parameters), marshalJSON(cs), marshalJSON(ps)
}

// CreateTable inserts t with version 1.
func (tx *Tx) CreateTable(ctx context.Context, t *mesh.Table) error {
	return tx.CreateTables(ctx, t.DatabaseName, []*mesh.Table{t})
}

// CreateTables inserts the tables with two statements, one for the rows and
// one for their search entries: parsing a statement costs as much as running it.
func (tx *Tx) CreateTables(ctx context.Context, database string, tables []*mesh.Table) error {
	if len(tables) == 0 {
		return nil
	}
	var dbID int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM catalog_databases WHERE name = ?`, database).Scan(&dbID)
	if isNoRows(err) {
		return mesh.NotFound("database", database)
	}
	if err != nil {
		return fmt.Errorf("create tables in %s: %w", database, err)
	}
	now := tx.now()
	stamp := formatTime(now)
	var q strings.Builder
	q.WriteString(`INSERT INTO catalog_tables
		(database_id, database_name, name, description, table_type, location, location_key, format, parameters, columns, partition_keys,
		 has_pii, created_at, updated_at, version) VALUES `)
	args := make([]any, 0, 14*len(tables))
	for i, t := range tables {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
		format, params, cols, parts := tableJSON(t)
		args = append(args, dbID, database, t.Name, t.Description, t.TableType, t.Location, mesh.LocationKey(t.Location), format, params, cols, parts,
			boolInt(t.HasPII()), stamp, stamp)
	}
	q.WriteString(" ON CONFLICT (database_name, name) DO NOTHING RETURNING id, name")
	rows, err := tx.tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("create tables in %s: %w", database, err)
	}
	ids := make(map[string]int64, len(tables))
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return fmt.Errorf("create tables in %s: %w", database, err)
		}
		ids[name] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("create tables in %s: %w", database, err)
	}
	q.Reset()
	q.WriteString(`INSERT INTO catalog_fts (rowid, name, description, parameters, columns) VALUES `)
	args = args[:0]
	for i, t := range tables {
		id, ok := ids[t.Name]
		if !ok {
			return mesh.Errorf(mesh.ECONFLICT, "table %q exists already in database %q", t.Name, database)
		}
		delete(ids, t.Name) // a name given twice conflicts with itself
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		doc := store.TableDoc(t)
		args = append(args, id, doc.Name, doc.Description, doc.Parameters, doc.Columns)
		t.DatabaseName, t.CreatedAt, t.UpdatedAt, t.Version = database, now, now, 1
	}
	if _, err := tx.tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("create tables in %s: index: %w", database, err)
	}
	return nil
}

// UpdateTable replaces t's fields if the stored version is expectedVersion.
func (tx *Tx) UpdateTable(ctx context.Context, t *mesh.Table, expectedVersion int64) error {
	var id, version int64
	var created string
	err := tx.tx.QueryRowContext(ctx, `SELECT id, version, created_at FROM catalog_tables WHERE database_name = ? AND name = ?`,
		t.DatabaseName, t.Name).Scan(&id, &version, &created)
	if isNoRows(err) {
		return mesh.NotFound("table", t.DatabaseName+"."+t.Name)
	}
	if err != nil {
		return fmt.Errorf("update table %s.%s: %w", t.DatabaseName, t.Name, err)
	}
	if version != expectedVersion {
		return store.VersionConflict("table", t.DatabaseName+"."+t.Name, version, expectedVersion)
	}
	now := tx.now()
	format, params, cols, parts := tableJSON(t)
	_, err = tx.tx.ExecContext(ctx, `UPDATE catalog_tables SET description = ?, table_type = ?, location = ?, location_key = ?, format = ?,
		parameters = ?, columns = ?, partition_keys = ?, has_pii = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		t.Description, t.TableType, t.Location, mesh.LocationKey(t.Location), format, params, cols, parts, boolInt(t.HasPII()), formatTime(now), id)
	if err != nil {
		return fmt.Errorf("update table %s.%s: %w", t.DatabaseName, t.Name, err)
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return err
	}
	t.UpdatedAt, t.Version = now, version+1
	return tx.index(ctx, id, store.TableDoc(t), true)
}

// DeleteTable removes the table, or returns ENOTFOUND.
func (tx *Tx) DeleteTable(ctx context.Context, database, name string) error {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `DELETE FROM catalog_tables WHERE database_name = ? AND name = ? RETURNING id`, database, name).Scan(&id)
	if isNoRows(err) {
		return mesh.NotFound("table", database+"."+name)
	}
	if err != nil {
		return fmt.Errorf("delete table %s.%s: %w", database, name, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM catalog_fts WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("delete table %s.%s: unindex: %w", database, name, err)
	}
	return nil
}

// searchCandidates bounds how many matches of a search are ranked: bm25
// costs a few microseconds a row here, and a term found in most of the
// catalog (such as "id") would otherwise rank every table. Matches on names
// and matches anywhere are each ranked up to this bound, so a search is exact
// whenever it matches fewer rows, and otherwise still finds the tables whose
// names match among the first candidates.
const searchCandidates = 1000

// SearchCatalog ranks databases and tables with FTS5's bm25 (names weigh
// most, then descriptions, columns, parameter values) and reports which
// database, table or column matched. One statement finds, ranks and reads
// the hits.
func (tx *Tx) SearchCatalog(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	terms := store.SearchTerms(q.Text)
	if len(terms) == 0 {
		return nil, nil
	}
	limit := store.SearchLimit(q.Limit)
	rows, err := tx.tx.QueryContext(ctx, `SELECT m.rowid, m.rank,
			coalesce(d.name, ''), coalesce(d.description, ''), coalesce(d.parameters, '{}'),
			coalesce(t.database_name, ''), coalesce(t.name, ''), coalesce(t.description, ''), coalesce(t.parameters, '{}'),
			coalesce(t.columns, '[]'), coalesce(t.partition_keys, '[]')
		FROM (SELECT rowid, min(rank) AS rank FROM (
				SELECT rowid, rank FROM (SELECT rowid, rank FROM catalog_fts WHERE catalog_fts MATCH ?1 LIMIT ?3)
				UNION ALL
				SELECT rowid, rank FROM (SELECT rowid, rank FROM catalog_fts WHERE catalog_fts MATCH ?2 LIMIT ?3)
			) GROUP BY rowid ORDER BY rank LIMIT ?4) m
		LEFT JOIN catalog_databases d ON d.id = -m.rowid
		LEFT JOIN catalog_tables t ON t.id = m.rowid
		ORDER BY m.rank`, ftsQuery(terms), "{name} : ("+ftsQuery(terms)+")", searchCandidates, limit)
	if err != nil {
		return nil, fmt.Errorf("search catalog: %w", err)
	}
	defer rows.Close()
	var hits []store.SearchHit
	for rows.Next() {
		var rowid int64
		var rank float64
		var d mesh.Database
		var t mesh.Table
		var dParams, tParams, cols, parts string
		if err := rows.Scan(&rowid, &rank, &d.Name, &d.Description, &dParams,
			&t.DatabaseName, &t.Name, &t.Description, &tParams, &cols, &parts); err != nil {
			return nil, fmt.Errorf("search catalog: %w", err)
		}
		score := -rank // bm25 is lower for better matches
		if rowid < 0 {
			if err := unmarshalMap(dParams, &d.Parameters); err != nil {
				return nil, fmt.Errorf("search catalog: database %s: %w", d.Name, err)
			}
			hits = append(hits, store.DatabaseHits(&d, score, terms)...)
			continue
		}
		if err := unmarshalMap(tParams, &t.Parameters); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		if t.Columns, err = decodeColumns(cols); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		if t.PartitionKeys, err = decodeColumns(parts); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		hits = append(hits, store.TableHits(&t, score, terms)...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search catalog: %w", err)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

// ftsQuery builds an FTS5 query from terms: each a quoted string (so no input
// is read as FTS5 syntax), all required.
func ftsQuery(terms []store.SearchTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t.Text, `"`, `""`) + `"`
		if t.Prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}
