CREATE TABLE workflow_state_machines (
	name        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	definition  TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	-- deleted versions are kept so that version numbers are never reused
	deleted     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, version)
);

CREATE TABLE workflow_executions (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	state_machine TEXT NOT NULL,
	version       INTEGER NOT NULL,
	status        TEXT NOT NULL,
	input         TEXT NOT NULL,
	output        TEXT,
	error         TEXT NOT NULL DEFAULT '',
	cause         TEXT NOT NULL DEFAULT '',
	started_at    TEXT NOT NULL,
	stopped_at    TEXT,
	deadline      TEXT NOT NULL,
	events        INTEGER NOT NULL DEFAULT 0,
	started_by    TEXT NOT NULL DEFAULT '',
	state         BLOB NOT NULL,
	wake_at       TEXT,
	UNIQUE (state_machine, name)
);
CREATE INDEX workflow_executions_wake ON workflow_executions (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX workflow_executions_list ON workflow_executions (state_machine, status, started_at);
CREATE INDEX workflow_executions_started ON workflow_executions (started_at, id);

CREATE TABLE workflow_history (
	execution_id TEXT NOT NULL,
	id           INTEGER NOT NULL,
	previous_id  INTEGER NOT NULL,
	type         TEXT NOT NULL,
	timestamp    TEXT NOT NULL,
	details      TEXT,
	PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;

CREATE TABLE workflow_task_tokens (
	hash         TEXT PRIMARY KEY,
	execution_id TEXT NOT NULL,
	attempt      INTEGER NOT NULL,
	state        TEXT NOT NULL,
	status       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	used_at      TEXT
);
CREATE INDEX workflow_task_tokens_execution ON workflow_task_tokens (execution_id, attempt);

CREATE TABLE workflow_outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	execution_id TEXT NOT NULL,
	attempt      INTEGER NOT NULL,
	dedupe_key   TEXT NOT NULL UNIQUE,
	resource     TEXT NOT NULL,
	input        TEXT NOT NULL,
	timeout_ms   INTEGER NOT NULL,
	status       TEXT NOT NULL,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_until  TEXT,
	tries        INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL
);
CREATE INDEX workflow_outbox_pending ON workflow_outbox (status, lease_until);
CREATE INDEX workflow_outbox_execution ON workflow_outbox (execution_id, attempt);

CREATE TABLE workflow_counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
