-- Access requests, their approvals, and the notifications waiting for delivery.
CREATE TABLE access_requests (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	requester_account     TEXT NOT NULL,
	requester_user        TEXT NOT NULL,
	target_account        TEXT NOT NULL,
	database_name         TEXT NOT NULL,
	table_name            TEXT NOT NULL,
	owner_account         TEXT NOT NULL,
	permissions           INTEGER NOT NULL,
	justification         TEXT NOT NULL,
	duration_seconds      INTEGER NOT NULL DEFAULT 0,
	expires_at            TEXT,
	status                TEXT NOT NULL,
	error                 TEXT NOT NULL DEFAULT '',
	cause                 TEXT NOT NULL DEFAULT '',
	pii_columns           TEXT NOT NULL DEFAULT '',
	decided_by            TEXT NOT NULL DEFAULT '',
	decided_at            TEXT,
	decision_comment      TEXT NOT NULL DEFAULT '',
	decision_channel      TEXT NOT NULL DEFAULT '',
	approved              INTEGER NOT NULL DEFAULT 0,
	ended_by              TEXT NOT NULL DEFAULT '',
	grant_id              INTEGER NOT NULL DEFAULT 0,
	share_id              INTEGER NOT NULL DEFAULT 0,
	execution_id          TEXT NOT NULL,
	state_machine         TEXT NOT NULL,
	state_machine_version INTEGER NOT NULL,
	created_at            TEXT NOT NULL,
	updated_at            TEXT NOT NULL
);
-- At most one open request per target and resource: asking again returns it.
CREATE UNIQUE INDEX access_requests_open ON access_requests (target_account, database_name, table_name)
	WHERE status IN ('SUBMITTED', 'PENDING_APPROVAL');
CREATE INDEX access_requests_execution ON access_requests (execution_id);
CREATE INDEX access_requests_requester ON access_requests (requester_account, requester_user, id);
CREATE INDEX access_requests_owner ON access_requests (owner_account, id);
CREATE INDEX access_requests_target ON access_requests (target_account, id);
CREATE INDEX access_requests_expiry ON access_requests (expires_at) WHERE status = 'SHARED' AND expires_at IS NOT NULL;

CREATE TABLE approvals (
	request_id       INTEGER PRIMARY KEY REFERENCES access_requests (id),
	account_id       TEXT NOT NULL,
	status           TEXT NOT NULL,
	pii_columns      TEXT NOT NULL DEFAULT '',
	token_hash       TEXT NOT NULL,
	decided_by       TEXT NOT NULL DEFAULT '',
	decided_at       TEXT,
	decision_comment TEXT NOT NULL DEFAULT '',
	decision_channel TEXT NOT NULL DEFAULT '',
	approved         INTEGER NOT NULL DEFAULT 0,
	created_at       TEXT NOT NULL,
	expires_at       TEXT
);
CREATE INDEX approvals_account ON approvals (account_id, status, request_id);

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id TEXT NOT NULL,
	recipient  TEXT NOT NULL,
	event      TEXT NOT NULL,
	request_id INTEGER NOT NULL DEFAULT 0,
	subject    TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	sent_at    TEXT
);
CREATE INDEX notifications_request ON notifications (request_id, id);
CREATE INDEX notifications_unsent ON notifications (id) WHERE sent_at IS NULL;
