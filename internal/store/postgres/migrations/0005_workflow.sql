CREATE TABLE workflow_state_machines (
	name        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	definition  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	-- deleted versions are kept so that version numbers are never reused
	deleted     BOOLEAN NOT NULL DEFAULT FALSE,
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
	started_at    TIMESTAMPTZ NOT NULL,
	stopped_at    TIMESTAMPTZ,
	deadline      TIMESTAMPTZ NOT NULL,
	events        INTEGER NOT NULL DEFAULT 0,
	started_by    TEXT NOT NULL DEFAULT '',
	state         BYTEA NOT NULL,
	wake_at       TIMESTAMPTZ,
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
	timestamp    TIMESTAMPTZ NOT NULL,
	details      TEXT,
	PRIMARY KEY (execution_id, id)
);

CREATE TABLE workflow_task_tokens (
	hash         TEXT PRIMARY KEY,
	execution_id TEXT NOT NULL,
	attempt      BIGINT NOT NULL,
	state        TEXT NOT NULL,
	status       TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	used_at      TIMESTAMPTZ
);
CREATE INDEX workflow_task_tokens_execution ON workflow_task_tokens (execution_id, attempt);

CREATE TABLE workflow_outbox (
	id           BIGSERIAL PRIMARY KEY,
	execution_id TEXT NOT NULL,
	attempt      BIGINT NOT NULL,
	dedupe_key   TEXT NOT NULL UNIQUE,
	resource     TEXT NOT NULL,
	input        TEXT NOT NULL,
	timeout_ms   BIGINT NOT NULL,
	status       TEXT NOT NULL,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_until  TIMESTAMPTZ,
	tries        INTEGER NOT NULL DEFAULT 0,
	created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX workflow_outbox_pending ON workflow_outbox (status, lease_until);
CREATE INDEX workflow_outbox_execution ON workflow_outbox (execution_id, attempt);

CREATE TABLE workflow_counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
