-- A principal holds one grant on a resource per source: an owner's or mesh
-- admin's (source '') and one from each holder's grant option, so that each
-- ends with its own source (the cascade) and its grantor can revoke it.
-- Grants merged before keep the source they had.
--
-- SQLite cannot change a table's UNIQUE constraint: the table is made again
-- under its name, with its rows, indexes and ids, and its AUTOINCREMENT
-- counter, so that no id of a deleted grant (a tombstone's, a request's, a
-- platform status's) is given again.
CREATE TABLE grants_next (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	principal   TEXT NOT NULL,
	account_id  TEXT NOT NULL,
	is_user     INTEGER NOT NULL,
	database    TEXT NOT NULL,
	tbl         TEXT NOT NULL DEFAULT '',
	col_mode    TEXT NOT NULL DEFAULT '',
	columns     TEXT NOT NULL DEFAULT '',
	permissions INTEGER NOT NULL,
	grantable   INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL,
	share_id    INTEGER NOT NULL DEFAULT 0,
	source      TEXT NOT NULL DEFAULT '',
	granted_by  TEXT NOT NULL DEFAULT '',
	-- the access version of the last change, for replicas' incremental refresh
	version     INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	UNIQUE (principal, database, tbl, col_mode, columns, source)
);
INSERT INTO grants_next (id, principal, account_id, is_user, database, tbl, col_mode, columns, permissions, grantable,
	status, share_id, source, granted_by, version, created_at, updated_at)
SELECT id, principal, account_id, is_user, database, tbl, col_mode, columns, permissions, grantable,
	status, share_id, source, granted_by, version, created_at, updated_at FROM grants;
CREATE TABLE grants_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'grants';
DROP TABLE grants;
ALTER TABLE grants_next RENAME TO grants;
DELETE FROM sqlite_sequence WHERE name = 'grants';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'grants', max(coalesce((SELECT max(seq) FROM grants_counter), 0), coalesce((SELECT max(id) FROM grants), 0));
DROP TABLE grants_counter;
CREATE INDEX grants_account ON grants (account_id, database);
CREATE INDEX grants_resource ON grants (database, tbl);
CREATE INDEX grants_share ON grants (share_id) WHERE share_id <> 0;
CREATE INDEX grants_version ON grants (version);
CREATE INDEX grants_source ON grants (source, database) WHERE source <> '';
