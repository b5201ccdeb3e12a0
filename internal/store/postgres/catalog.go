package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// searchVector is the SQL of a weighted search document from four text
// arguments (already normalized to tokens, so both stores read text alike).
func searchVector(a, b, c, d string) string {
	return `setweight(to_tsvector('simple', ` + a + `), 'A') || setweight(to_tsvector('simple', ` + b + `), 'B') ||
		setweight(to_tsvector('simple', ` + c + `), 'C') || setweight(to_tsvector('simple', ` + d + `), 'D')`
}

// docArgs normalizes a search document's fields to space-separated tokens:
// name, description, columns, parameter values (weights A to D). A tsvector
// holds at most 1 MB of lexemes and positions, which a table within every
// limit of its own can pass (1000 columns with long comments of distinct
// words), so the fields are indexed up to maxSearchBytes, the columns last
// (the one field that grows that large): on PostgreSQL the words past it
// are not found by search, where the table would otherwise not be stored.
func docArgs(doc store.SearchDoc) []any {
	budget := maxSearchBytes
	var name, desc, cols, params string
	name, budget = searchText(doc.Name, budget)
	desc, budget = searchText(doc.Description, budget)
	params, budget = searchText(doc.Parameters, budget)
	cols, _ = searchText(doc.Columns, budget)
	return []any{name, desc, cols, params}
}

// maxSearchBytes bounds what docArgs indexes, below PostgreSQL's limit on a
// tsvector's lexemes and positions (1 MB: "string is too long for
// tsvector"), leaving room for a word its parser splits where
// store.Tokens does not.
const maxSearchBytes = 1_000_000

// searchText joins the tokens of s with spaces while they fit in budget
// bytes of a tsvector, and returns what is left of budget. A tsvector keeps
// each lexeme once (padded to an even length, with a 2-byte count of its
// positions) and up to 256 positions of 2 bytes each; one field's cost so
// counted is an upper bound, as the vectors of fields merge.
func searchText(s string, budget int) (string, int) {
	toks := store.Tokens(s)
	seen := make(map[string]int, len(toks))
	n := 0
	for _, tok := range toks {
		cost := 2
		switch k := seen[tok]; {
		case k == 0:
			cost = (len(tok)+1)&^1 + 2 + 2
		case k >= 256:
			cost = 0
		}
		if cost > budget {
			break
		}
		budget -= cost
		seen[tok]++
		n++
	}
	return strings.Join(toks[:n], " "), budget
}

func (tx *Tx) stamp() time.Time { return tx.now().UTC().Truncate(time.Microsecond) }

func jsonArg(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("catalog json: " + err.Error()) // plain maps and structs always marshal
	}
	return b
}

const databaseCols = `id, name, description, location_uri, parameters, created_at, updated_at, version`

func scanDatabase(row pgx.Row) (*mesh.Database, int64, error) {
	var d mesh.Database
	var id int64
	var params []byte
	if err := row.Scan(&id, &d.Name, &d.Description, &d.LocationURI, &params, &d.CreatedAt, &d.UpdatedAt, &d.Version); err != nil {
		return nil, 0, err
	}
	if err := unmarshalMap(params, &d.Parameters); err != nil {
		return nil, 0, fmt.Errorf("database %s parameters: %w", d.Name, err)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, id, nil
}

func unmarshalMap(b []byte, m *map[string]string) error {
	if len(b) == 0 || string(b) == "{}" || string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, m)
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

// LockDatabase reads the database FOR SHARE: its latest committed row,
// which no other transaction may update or delete until this one ends.
func (tx *Tx) LockDatabase(ctx context.Context, name string) (*mesh.Database, error) {
	d, _, err := scanDatabase(tx.tx.QueryRow(ctx, `SELECT `+databaseCols+` FROM catalog_databases WHERE name = $1 FOR SHARE`, name))
	if isNoRows(err) {
		return nil, mesh.NotFound("database", name)
	}
	if err != nil {
		return nil, fmt.Errorf("lock database %s: %w", name, err)
	}
	tx.Memo().PutDatabase(d)
	return d, nil
}

func (tx *Tx) findDatabase(ctx context.Context, name string) (*mesh.Database, int64, error) {
	d, id, err := scanDatabase(tx.tx.QueryRow(ctx, `SELECT `+databaseCols+` FROM catalog_databases WHERE name = $1`, name))
	if isNoRows(err) {
		return nil, 0, mesh.NotFound("database", name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("find database %s: %w", name, err)
	}
	return d, id, nil
}

const piiExpr = `(d.pii OR EXISTS (SELECT 1 FROM catalog_tables t WHERE t.database_id = d.id AND t.has_pii))`

// FindDatabases returns the databases matching f, in name order.
func (tx *Tx) FindDatabases(ctx context.Context, f store.DatabaseFilter) ([]*mesh.Database, error) {
	args := []any{f.After}
	where := []string{"d.name > $1"}
	if f.Owner != "" {
		args = append(args, f.Owner)
		where = append(where, "d.owner = $"+strconv.Itoa(len(args)))
	}
	if f.PII != nil {
		if *f.PII {
			where = append(where, piiExpr)
		} else {
			where = append(where, "NOT "+piiExpr)
		}
	}
	args = append(args, store.ListLimit(f.Limit))
	q := `SELECT d.id, d.name, d.description, d.location_uri, d.parameters, d.created_at, d.updated_at, d.version
		FROM catalog_databases d WHERE ` + strings.Join(where, " AND ") + ` ORDER BY d.name LIMIT $` + strconv.Itoa(len(args))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find databases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Database, error) {
		d, _, err := scanDatabase(row)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("find databases: %w", err)
	}
	return out, nil
}

// CreateDatabase inserts d with version 1, or returns ECONFLICT.
func (tx *Tx) CreateDatabase(ctx context.Context, d *mesh.Database) error {
	now := tx.stamp()
	args := append([]any{d.Name, d.Description, d.LocationURI, jsonArg(d.Parameters), d.DataOwner(), d.PII(), now},
		docArgs(store.DatabaseDoc(d))...)
	args = append(args, mesh.LocationKey(d.LocationURI))
	var id int64
	err := tx.tx.QueryRow(ctx, `INSERT INTO catalog_databases
		(name, description, location_uri, parameters, owner, pii, created_at, updated_at, version, search, location_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, `+searchVector("$8", "$9", "$10", "$11")+`, $12)
		ON CONFLICT (name) DO NOTHING RETURNING id`, args...).Scan(&id)
	if isNoRows(err) {
		return mesh.Errorf(mesh.ECONFLICT, "database %q exists already", d.Name)
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", d.Name, err)
	}
	d.CreatedAt, d.UpdatedAt, d.Version = now, now, 1
	return nil
}

// UpdateDatabase replaces d's fields if the stored version is expectedVersion.
// The version check is part of the UPDATE, so concurrent writers cannot both win.
func (tx *Tx) UpdateDatabase(ctx context.Context, d *mesh.Database, expectedVersion int64) error {
	now := tx.stamp()
	args := append([]any{d.Name, expectedVersion, d.Description, d.LocationURI, jsonArg(d.Parameters), d.DataOwner(), d.PII(), now},
		docArgs(store.DatabaseDoc(d))...)
	args = append(args, mesh.LocationKey(d.LocationURI))
	err := tx.tx.QueryRow(ctx, `UPDATE catalog_databases SET description = $3, location_uri = $4, parameters = $5,
		owner = $6, pii = $7, updated_at = $8, version = version + 1, search = `+searchVector("$9", "$10", "$11", "$12")+`,
		location_key = $13
		WHERE name = $1 AND version = $2 RETURNING created_at, version`, args...).Scan(&d.CreatedAt, &d.Version)
	if isNoRows(err) {
		cur, _, ferr := tx.findDatabase(ctx, d.Name)
		if ferr != nil {
			return ferr
		}
		return store.VersionConflict("database", d.Name, cur.Version, expectedVersion)
	}
	if err != nil {
		return fmt.Errorf("update database %s: %w", d.Name, err)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), now
	return nil
}

// DeleteDatabase removes the database and (by cascade) its tables.
func (tx *Tx) DeleteDatabase(ctx context.Context, name string) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM catalog_databases WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete database %s: %w", name, err)
	}
	return affectedOne(tag, "database", name)
}

// CountTables returns how many tables the database has.
func (tx *Tx) CountTables(ctx context.Context, database string) (int, error) {
	var n int
	if err := tx.tx.QueryRow(ctx, `SELECT count(*) FROM catalog_tables WHERE database_name = $1`, database).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tables of %s: %w", database, err)
	}
	return n, nil
}

// TablesHavePII reports whether any table of the database holds personal data.
func (tx *Tx) TablesHavePII(ctx context.Context, database string) (bool, error) {
	var b bool
	err := tx.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM catalog_tables t JOIN catalog_databases d ON d.id = t.database_id
		WHERE d.name = $1 AND t.has_pii)`, database).Scan(&b)
	if err != nil {
		return false, fmt.Errorf("tables of %s have pii: %w", database, err)
	}
	return b, nil
}

const tableCols = `id, database_name, name, description, table_type, location, format, parameters, columns, partition_keys, created_at, updated_at, version`

func scanTable(row pgx.Row) (*mesh.Table, int64, error) {
	var t mesh.Table
	var id int64
	var format, params, cols, parts []byte
	if err := row.Scan(&id, &t.DatabaseName, &t.Name, &t.Description, &t.TableType, &t.Location,
		&format, &params, &cols, &parts, &t.CreatedAt, &t.UpdatedAt, &t.Version); err != nil {
		return nil, 0, err
	}
	key := t.DatabaseName + "." + t.Name
	if err := json.Unmarshal(format, &t.Format); err != nil {
		return nil, 0, fmt.Errorf("table %s format: %w", key, err)
	}
	if err := unmarshalMap(params, &t.Parameters); err != nil {
		return nil, 0, fmt.Errorf("table %s parameters: %w", key, err)
	}
	if err := json.Unmarshal(cols, &t.Columns); err != nil {
		return nil, 0, fmt.Errorf("table %s columns: %w", key, err)
	}
	if s := string(parts); s != "" && s != "[]" && s != "null" {
		if err := json.Unmarshal(parts, &t.PartitionKeys); err != nil {
			return nil, 0, fmt.Errorf("table %s partition keys: %w", key, err)
		}
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, id, nil
}

// FindTable returns the table, or ENOTFOUND.
func (tx *Tx) FindTable(ctx context.Context, database, name string) (*mesh.Table, error) {
	if t, ok := tx.Memo().Table(database, name); ok {
		return t, nil
	}
	t, _, err := scanTable(tx.tx.QueryRow(ctx, `SELECT `+tableCols+` FROM catalog_tables WHERE database_name = $1 AND name = $2`, database, name))
	if isNoRows(err) {
		return nil, mesh.NotFound("table", database+"."+name)
	}
	if err != nil {
		return nil, fmt.Errorf("find table %s.%s: %w", database, name, err)
	}
	tx.Memo().PutTable(t)
	return t, nil
}

// FindTables returns the tables matching f, in (database, name) order.
func (tx *Tx) FindTables(ctx context.Context, f store.TableFilter) ([]*mesh.Table, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Database != "" {
		where = append(where, "t.database_name = "+arg(f.Database)+" AND t.name > "+arg(f.AfterName))
	} else if f.AfterDatabase != "" || f.AfterName != "" {
		where = append(where, "(t.database_name, t.name) > ("+arg(f.AfterDatabase)+", "+arg(f.AfterName)+")")
	}
	if f.Owner != "" {
		where = append(where, "t.database_id IN (SELECT id FROM catalog_databases WHERE owner = "+arg(f.Owner)+")")
	}
	if f.PII != nil {
		where = append(where, "t.has_pii = "+arg(*f.PII))
	}
	q := `SELECT t.id, t.database_name, t.name, t.description, t.table_type, t.location, t.format, t.parameters,
		t.columns, t.partition_keys, t.created_at, t.updated_at, t.version FROM catalog_tables t`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY t.database_name, t.name LIMIT " + arg(store.ListLimit(f.Limit))
	rows, err := tx.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find tables: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mesh.Table, error) {
		t, _, err := scanTable(row)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("find tables: %w", err)
	}
	return out, nil
}

func tableArgs(t *mesh.Table) []any {
	cs, ps := t.Columns, t.PartitionKeys
	if cs == nil {
		cs = []mesh.Column{}
	}
	if ps == nil {
		ps = []mesh.Column{}
	}
	return []any{t.Description, t.TableType, t.Location, jsonArg(t.Format), jsonArg(t.Parameters), jsonArg(cs), jsonArg(ps), t.HasPII()}
}

// CreateTable inserts t with version 1.
func (tx *Tx) CreateTable(ctx context.Context, t *mesh.Table) error {
	now := tx.stamp()
	args := append([]any{t.DatabaseName, t.Name, now}, tableArgs(t)...)
	args = append(args, docArgs(store.TableDoc(t))...)
	args = append(args, mesh.LocationKey(t.Location))
	tag, err := tx.tx.Exec(ctx, `INSERT INTO catalog_tables
		(database_id, database_name, name, created_at, updated_at, version,
		 description, table_type, location, format, parameters, columns, partition_keys, has_pii, search, location_key)
		SELECT d.id, $1, $2, $3, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, `+searchVector("$12", "$13", "$14", "$15")+`, $16
		FROM catalog_databases d WHERE d.name = $1
		ON CONFLICT (database_name, name) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("create table %s.%s: %w", t.DatabaseName, t.Name, err)
	}
	if tag.RowsAffected() == 0 {
		if _, _, err := tx.findDatabase(ctx, t.DatabaseName); err != nil {
			return err
		}
		return mesh.Errorf(mesh.ECONFLICT, "table %q exists already in database %q", t.Name, t.DatabaseName)
	}
	t.CreatedAt, t.UpdatedAt, t.Version = now, now, 1
	return nil
}

// CreateTables inserts the tables one by one (PostgreSQL parses once per
// connection; the cost is the round trips, acceptable for its use).
func (tx *Tx) CreateTables(ctx context.Context, database string, tables []*mesh.Table) error {
	for _, t := range tables {
		t.DatabaseName = database
		if err := tx.CreateTable(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// UpdateTable replaces t's fields if the stored version is expectedVersion.
func (tx *Tx) UpdateTable(ctx context.Context, t *mesh.Table, expectedVersion int64) error {
	now := tx.stamp()
	args := append([]any{t.DatabaseName, t.Name, expectedVersion, now}, tableArgs(t)...)
	args = append(args, docArgs(store.TableDoc(t))...)
	args = append(args, mesh.LocationKey(t.Location))
	err := tx.tx.QueryRow(ctx, `UPDATE catalog_tables SET updated_at = $4, version = version + 1,
		description = $5, table_type = $6, location = $7, format = $8, parameters = $9, columns = $10,
		partition_keys = $11, has_pii = $12, search = `+searchVector("$13", "$14", "$15", "$16")+`, location_key = $17
		WHERE database_name = $1 AND name = $2 AND version = $3 RETURNING created_at, version`, args...).Scan(&t.CreatedAt, &t.Version)
	if isNoRows(err) {
		var cur int64
		err := tx.tx.QueryRow(ctx, `SELECT version FROM catalog_tables WHERE database_name = $1 AND name = $2`, t.DatabaseName, t.Name).Scan(&cur)
		if isNoRows(err) {
			return mesh.NotFound("table", t.DatabaseName+"."+t.Name)
		}
		if err != nil {
			return fmt.Errorf("update table %s.%s: %w", t.DatabaseName, t.Name, err)
		}
		return store.VersionConflict("table", t.DatabaseName+"."+t.Name, cur, expectedVersion)
	}
	if err != nil {
		return fmt.Errorf("update table %s.%s: %w", t.DatabaseName, t.Name, err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), now
	return nil
}

// DeleteTable removes the table, or returns ENOTFOUND.
func (tx *Tx) DeleteTable(ctx context.Context, database, name string) error {
	tag, err := tx.tx.Exec(ctx, `DELETE FROM catalog_tables WHERE database_name = $1 AND name = $2`, database, name)
	if err != nil {
		return fmt.Errorf("delete table %s.%s: %w", database, name, err)
	}
	return affectedOne(tag, "table", database+"."+name)
}

// SearchCatalog ranks databases and tables with ts_rank over their weighted
// search vectors and reports which database, table or column matched. One
// statement finds, ranks and reads the hits.
func (tx *Tx) SearchCatalog(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	terms := store.SearchTerms(q.Text)
	if len(terms) == 0 {
		return nil, nil
	}
	limit := store.SearchLimit(q.Limit)
	// As on SQLite, each phase ranks at most searchCandidates matches: the
	// matches anywhere, and the matches on names (weight A), so a term in
	// most of the catalog neither ranks every table nor hides the tables
	// named after it.
	rows, err := tx.tx.Query(ctx, `WITH q AS (SELECT to_tsquery('simple', $1) AS q, to_tsquery('simple', $2) AS qn),
		c AS (
			(SELECT 'd' AS kind, d.id, d.search FROM catalog_databases d, q WHERE d.search @@ q.q LIMIT $3)
			UNION ALL
			(SELECT 't', t.id, t.search FROM catalog_tables t, q WHERE t.search @@ q.q LIMIT $3)
			UNION ALL
			(SELECT 't', t.id, t.search FROM catalog_tables t, q WHERE t.search @@ q.qn LIMIT $3)
		),
		m AS (SELECT kind, id, max(ts_rank('{0.1, 0.2, 0.4, 1.0}', c.search, q.q)) AS score FROM c, q
			GROUP BY kind, id ORDER BY score DESC, kind, id LIMIT $4)
		SELECT m.kind, m.score,
			coalesce(d.name, ''), coalesce(d.description, ''), coalesce(d.parameters, '{}'),
			coalesce(t.database_name, ''), coalesce(t.name, ''), coalesce(t.description, ''), coalesce(t.parameters, '{}'),
			coalesce(t.columns, '[]'), coalesce(t.partition_keys, '[]')
		FROM m
		LEFT JOIN catalog_databases d ON m.kind = 'd' AND d.id = m.id
		LEFT JOIN catalog_tables t ON m.kind = 't' AND t.id = m.id
		ORDER BY m.score DESC, m.kind, m.id`, tsQuery(terms, ""), tsQuery(terms, "A"), searchCandidates, limit)
	if err != nil {
		return nil, fmt.Errorf("search catalog: %w", err)
	}
	defer rows.Close()
	var hits []store.SearchHit
	for rows.Next() {
		var kind string
		var score float32
		var d mesh.Database
		var t mesh.Table
		var dParams, tParams, cols, parts []byte
		if err := rows.Scan(&kind, &score, &d.Name, &d.Description, &dParams,
			&t.DatabaseName, &t.Name, &t.Description, &tParams, &cols, &parts); err != nil {
			return nil, fmt.Errorf("search catalog: %w", err)
		}
		if kind == "d" {
			if err := unmarshalMap(dParams, &d.Parameters); err != nil {
				return nil, fmt.Errorf("search catalog: database %s: %w", d.Name, err)
			}
			hits = append(hits, store.DatabaseHits(&d, float64(score), terms)...)
			continue
		}
		if err := unmarshalMap(tParams, &t.Parameters); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		if err := json.Unmarshal(cols, &t.Columns); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		if err := json.Unmarshal(parts, &t.PartitionKeys); err != nil {
			return nil, fmt.Errorf("search catalog: table %s: %w", t.Name, err)
		}
		hits = append(hits, store.TableHits(&t, float64(score), terms)...)
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

// searchCandidates bounds how many matches each search phase ranks.
const searchCandidates = 1000

// tsQuery builds a tsquery from terms: each a quoted lexeme (so no input is
// read as tsquery syntax), all required, restricted to weights (such as "A"
// for names) when weights is set.
func tsQuery(terms []store.SearchTerm, weights string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + strings.ReplaceAll(t.Text, "'", "''") + "'"
		switch {
		case t.Prefix || weights != "":
			parts[i] += ":"
			if t.Prefix {
				parts[i] += "*"
			}
			parts[i] += weights
		}
	}
	return strings.Join(parts, " & ")
}

// refoldSearch recomputes the search vectors that migration 0022 marked
// (written before store.Tokens folded diacritics), in batches; afterwards
// it is one lookup of an empty partial index. Each row is locked while its
// vector is rewritten from its own text, so a write beside it (another
// replica's) is neither lost nor undone; replicas opening at once share
// the work (SKIP LOCKED).
func (db *DB) refoldSearch(ctx context.Context) error {
	for _, table := range []string{"catalog_databases", "catalog_tables"} {
		for {
			n, err := db.refoldBatch(ctx, table)
			if err != nil {
				return fmt.Errorf("postgres: recompute the search vectors of %s: %w", table, err)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// refoldBatch recomputes up to 100 marked search vectors of table (a table
// may carry 1000 columns) and returns how many.
func (db *DB) refoldBatch(ctx context.Context, table string) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		cols := databaseCols
		if table == "catalog_tables" {
			cols = tableCols
		}
		rows, err := tx.Query(ctx, `SELECT `+cols+` FROM `+table+` WHERE search_refold ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED`)
		if err != nil {
			return err
		}
		type row struct {
			id  int64
			doc store.SearchDoc
		}
		todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			if table == "catalog_tables" {
				t, id, err := scanTable(r)
				if err != nil {
					return row{}, err
				}
				return row{id, store.TableDoc(t)}, nil
			}
			d, id, err := scanDatabase(r)
			if err != nil {
				return row{}, err
			}
			return row{id, store.DatabaseDoc(d)}, nil
		})
		if err != nil {
			return err
		}
		for _, r := range todo {
			args := append([]any{r.id}, docArgs(r.doc)...)
			if _, err := tx.Exec(ctx, `UPDATE `+table+` SET search = `+searchVector("$2", "$3", "$4", "$5")+`, search_refold = FALSE
				WHERE id = $1`, args...); err != nil {
				return err
			}
		}
		n = len(todo)
		return nil
	})
	return n, err
}
