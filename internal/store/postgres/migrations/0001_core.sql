CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE audit_log (
	id          BIGSERIAL PRIMARY KEY,
	time        TIMESTAMPTZ NOT NULL,
	principal   TEXT NOT NULL,
	account_id  TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	resource    TEXT NOT NULL DEFAULT '',
	remote_addr TEXT NOT NULL DEFAULT '',
	request_id  TEXT NOT NULL DEFAULT '',
	result      TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_principal ON audit_log (principal, id);
CREATE INDEX audit_log_resource ON audit_log (resource, id);
