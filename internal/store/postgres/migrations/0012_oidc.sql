-- Users signed in through an OpenID Connect provider: the provider's subject
-- identifies them, whatever their username or email become.
CREATE TABLE oidc_identities (
	provider   TEXT NOT NULL,
	subject    TEXT NOT NULL,
	user_id    BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (provider, subject)
);

-- Sign-ins started and not yet finished, found by the SHA-256 of their state.
CREATE TABLE oidc_logins (
	state_hash BYTEA PRIMARY KEY,
	provider   TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	verifier   TEXT NOT NULL,
	return_to  TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);
