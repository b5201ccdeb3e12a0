-- The catalog: databases and tables. A table's columns, partition keys,
-- format and parameters are JSON in its row, so reading a table is one
-- primary-key lookup. owner and pii are kept beside the JSON for the list
-- filters. catalog_fts indexes databases (rowid = -id) and tables (rowid = id)
-- for ranked full-text search; it is contentless, the rows hold the text.
CREATE TABLE catalog_databases (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	description  TEXT NOT NULL DEFAULT '',
	location_uri TEXT NOT NULL DEFAULT '',
	parameters   TEXT NOT NULL DEFAULT '{}',
	owner        TEXT NOT NULL DEFAULT '',
	pii          INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	version      INTEGER NOT NULL
);
CREATE INDEX catalog_databases_owner ON catalog_databases (owner, name);

CREATE TABLE catalog_tables (
	id             INTEGER PRIMARY KEY,
	database_id    INTEGER NOT NULL REFERENCES catalog_databases (id) ON DELETE CASCADE,
	database_name  TEXT NOT NULL,
	name           TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	table_type     TEXT NOT NULL DEFAULT '',
	location       TEXT NOT NULL DEFAULT '',
	format         TEXT NOT NULL DEFAULT '{}',
	parameters     TEXT NOT NULL DEFAULT '{}',
	columns        TEXT NOT NULL DEFAULT '[]',
	partition_keys TEXT NOT NULL DEFAULT '[]',
	has_pii        INTEGER NOT NULL DEFAULT 0,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	version        INTEGER NOT NULL,
	UNIQUE (database_name, name)
);
CREATE INDEX catalog_tables_pii ON catalog_tables (database_id, has_pii);

CREATE VIRTUAL TABLE catalog_fts USING fts5 (
	name, description, parameters, columns,
	content = '', contentless_delete = 1, tokenize = 'unicode61'
);
-- ORDER BY rank ranks names above descriptions above columns above parameter values.
INSERT INTO catalog_fts (catalog_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0, 2.0)');
