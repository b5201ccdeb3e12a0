-- Grants: a principal (an account, or account/user), a resource (database;
-- tbl '' for the database itself, '*' for all tables, or a table name;
-- col_mode '' | 'include' | 'exclude' with columns as a sorted comma list),
-- the permissions and the grant-option subset as bit sets.
CREATE TABLE grants (
	id          BIGSERIAL PRIMARY KEY,
	principal   TEXT NOT NULL,
	account_id  TEXT NOT NULL,
	is_user     BOOLEAN NOT NULL,
	database    TEXT NOT NULL,
	tbl         TEXT NOT NULL DEFAULT '',
	col_mode    TEXT NOT NULL DEFAULT '',
	columns     TEXT NOT NULL DEFAULT '',
	permissions INTEGER NOT NULL,
	grantable   INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL,
	share_id    BIGINT NOT NULL DEFAULT 0,
	source      TEXT NOT NULL DEFAULT '',
	granted_by  TEXT NOT NULL DEFAULT '',
	-- the access version of the last change, for replicas' incremental refresh
	version     BIGINT NOT NULL DEFAULT 0,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (principal, database, tbl, col_mode, columns)
);
CREATE INDEX grants_account ON grants (account_id, database);
CREATE INDEX grants_resource ON grants (database, tbl);
CREATE INDEX grants_share ON grants (share_id) WHERE share_id <> 0;
CREATE INDEX grants_version ON grants (version);
CREATE INDEX grants_source ON grants (source, database) WHERE source <> '';

-- Deleted grants, by the access version that deleted them, so that replicas
-- refresh by difference.
CREATE TABLE grant_tombstones (
	version  BIGINT NOT NULL,
	grant_id BIGINT NOT NULL
);
CREATE INDEX grant_tombstones_version ON grant_tombstones (version);

-- A share of a database (tbl '') or one table with another account.
CREATE TABLE shares (
	id         BIGSERIAL PRIMARY KEY,
	account_id TEXT NOT NULL,
	database   TEXT NOT NULL,
	tbl        TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (account_id, database, tbl)
);
CREATE INDEX shares_database ON shares (database, tbl);

-- Invitations outlive their shares, as a record of what was offered.
CREATE TABLE invitations (
	id         BIGSERIAL PRIMARY KEY,
	share_id   BIGINT NOT NULL,
	account_id TEXT NOT NULL,
	database   TEXT NOT NULL,
	tbl        TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,
	sent_by    TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at TIMESTAMPTZ
);
CREATE INDEX invitations_account ON invitations (account_id, id);
CREATE INDEX invitations_share ON invitations (share_id);

CREATE TABLE resource_links (
	id         BIGSERIAL PRIMARY KEY,
	account_id TEXT NOT NULL,
	name       TEXT NOT NULL,
	database   TEXT NOT NULL,
	tbl        TEXT NOT NULL DEFAULT '',
	share_id   BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (account_id, name)
);
CREATE INDEX resource_links_share ON resource_links (share_id);

-- One row: grows with every change to grants or shares, so each replica can
-- tell cheaply whether its in-memory decision index is stale.
CREATE TABLE access_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 0);
