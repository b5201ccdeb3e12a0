-- Replicas cache checked API tokens (internal/auth). A change that may end
-- or narrow a token notifies the channel meshgate_auth with the schema's
-- name once per transaction (PostgreSQL folds equal notifications), so each
-- replica forgets its cached tokens as soon as the change commits: a token
-- revoked, a user's tokens revoked by a password reset, a user deleted
-- (with its account, by cascade), or a user's roles, account or name changed.
CREATE FUNCTION meshgate_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('meshgate_auth', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION meshgate_auth_changed();

CREATE TRIGGER users_deleted AFTER DELETE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION meshgate_auth_changed();

CREATE TRIGGER users_changed AFTER UPDATE ON users
	FOR EACH ROW
	WHEN (OLD.roles IS DISTINCT FROM NEW.roles OR OLD.account_id IS DISTINCT FROM NEW.account_id
		OR OLD.username IS DISTINCT FROM NEW.username)
	EXECUTE FUNCTION meshgate_auth_changed();
