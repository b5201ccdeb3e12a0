-- The catalog: databases and tables. A table's columns, partition keys,
-- format and parameters are JSONB in its row, so reading a table is one
-- primary-key lookup. owner, pii and has_pii are kept beside the JSON for the
-- list filters; search is a weighted tsvector (A names, B descriptions,
-- C columns, D parameter values) under a GIN index, ranked with ts_rank.
CREATE TABLE catalog_databases (
	id           BIGSERIAL PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE COLLATE "C",
	description  TEXT NOT NULL DEFAULT '',
	location_uri TEXT NOT NULL DEFAULT '',
	parameters   JSONB NOT NULL DEFAULT '{}',
	owner        TEXT NOT NULL DEFAULT '',
	pii          BOOLEAN NOT NULL DEFAULT FALSE,
	search       TSVECTOR NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	version      BIGINT NOT NULL
);
CREATE INDEX catalog_databases_owner ON catalog_databases (owner, name);
CREATE INDEX catalog_databases_search ON catalog_databases USING GIN (search);

CREATE TABLE catalog_tables (
	id             BIGSERIAL PRIMARY KEY,
	database_id    BIGINT NOT NULL REFERENCES catalog_databases (id) ON DELETE CASCADE,
	database_name  TEXT NOT NULL COLLATE "C",
	name           TEXT NOT NULL COLLATE "C",
	description    TEXT NOT NULL DEFAULT '',
	table_type     TEXT NOT NULL DEFAULT '',
	location       TEXT NOT NULL DEFAULT '',
	format         JSONB NOT NULL DEFAULT '{}',
	parameters     JSONB NOT NULL DEFAULT '{}',
	columns        JSONB NOT NULL DEFAULT '[]',
	partition_keys JSONB NOT NULL DEFAULT '[]',
	has_pii        BOOLEAN NOT NULL DEFAULT FALSE,
	search         TSVECTOR NOT NULL,
	created_at     TIMESTAMPTZ NOT NULL,
	updated_at     TIMESTAMPTZ NOT NULL,
	version        BIGINT NOT NULL,
	UNIQUE (database_name, name)
);
CREATE INDEX catalog_tables_pii ON catalog_tables (database_id, has_pii);
CREATE INDEX catalog_tables_search ON catalog_tables USING GIN (search);
