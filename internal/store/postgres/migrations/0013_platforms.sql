-- Data platforms (PostgreSQL, MariaDB) whose privileges meshgate manages.
-- dsn holds no password: password_ref names where it is read from
-- (env:NAME or file:/path), so no secret is stored here.
CREATE TABLE platforms (
	id           BIGSERIAL PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	kind         TEXT NOT NULL,
	dsn          TEXT NOT NULL,
	password_ref TEXT NOT NULL DEFAULT '',
	account_id   TEXT NOT NULL,
	role_mode    TEXT NOT NULL,
	role_map     TEXT NOT NULL DEFAULT '{}',
	schemas      TEXT NOT NULL DEFAULT '[]',
	create_roles BOOLEAN NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL
);

-- The catalog objects a platform's sync imported, beside the platform's own
-- names (which may hold quotes, spaces and capitals the catalog refuses):
-- a schema (tbl and col ''), a table (col '') or a column.
CREATE TABLE platform_objects (
	platform_id   BIGINT NOT NULL,
	database      TEXT NOT NULL,
	tbl           TEXT NOT NULL DEFAULT '',
	col           TEXT NOT NULL DEFAULT '',
	native_schema TEXT NOT NULL,
	native_table  TEXT NOT NULL DEFAULT '',
	native_column TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (database, tbl, col)
);
CREATE INDEX platform_objects_platform ON platform_objects (platform_id, database);

-- The outbox: written in the transaction of a grant's change, it names the
-- database (tbl '') or table whose privileges a platform must be brought to.
-- next_at is when it is due, and while it is leased, when the lease ends.
CREATE TABLE platform_outbox (
	id          BIGSERIAL PRIMARY KEY,
	platform_id BIGINT NOT NULL,
	database    TEXT NOT NULL,
	tbl         TEXT NOT NULL DEFAULT '',
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     TIMESTAMPTZ NOT NULL,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX platform_outbox_due ON platform_outbox (next_at, id);

-- Each grant's state on each platform: pending, in_force or failed.
CREATE TABLE platform_grant_status (
	grant_id    BIGINT NOT NULL,
	platform_id BIGINT NOT NULL,
	state       TEXT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	updated_at  TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (grant_id, platform_id)
);
CREATE INDEX platform_grant_status_platform ON platform_grant_status (platform_id);
