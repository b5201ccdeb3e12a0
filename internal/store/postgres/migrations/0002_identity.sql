CREATE TABLE accounts (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	organization TEXT NOT NULL DEFAULT '',
	email        TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_organization ON accounts (organization);

CREATE TABLE users (
	id                   BIGSERIAL PRIMARY KEY,
	account_id           TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	username             TEXT NOT NULL UNIQUE,
	email                TEXT NOT NULL DEFAULT '',
	roles                TEXT NOT NULL, -- comma-separated
	password_hash        TEXT NOT NULL,
	must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
	created_at           TIMESTAMPTZ NOT NULL,
	updated_at           TIMESTAMPTZ NOT NULL,
	last_login_at        TIMESTAMPTZ
);
CREATE INDEX users_account ON users (account_id, id);

CREATE TABLE sessions (
	id           BIGSERIAL PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash         BYTEA NOT NULL UNIQUE, -- SHA-256 of the cookie's secret
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	remote_addr  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id           BIGSERIAL PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash         BYTEA NOT NULL UNIQUE, -- SHA-256 of the secret
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
