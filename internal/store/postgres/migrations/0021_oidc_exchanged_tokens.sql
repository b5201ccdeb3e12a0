-- ID tokens traded for API tokens, found by the SHA-256 of their claims and
-- kept until they expire, so each is traded once. They were kept among the
-- sign-ins under way, whose rows a callback takes by the hash of whatever
-- state it brings; here no callback reaches them.
CREATE TABLE oidc_exchanged_tokens (
	claims_hash BYTEA PRIMARY KEY,
	provider    TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_exchanged_tokens_expires ON oidc_exchanged_tokens (expires_at);

-- The marks kept there, under the hash of the token's text, no longer stop
-- an exchange: they go.
DELETE FROM oidc_logins WHERE nonce = 'exchanged' AND verifier = '-';
