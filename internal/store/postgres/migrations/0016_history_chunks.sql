-- An execution's history, a chunk a row: the events one transaction
-- appended to one execution, as a JSON array of
-- [id, previous_id, type, timestamp, details] (details left out when an
-- event has none). A request that runs to its end in one transaction
-- writes one row instead of fourteen. The view keeps the event a row.
CREATE TABLE workflow_history_chunks (
	execution_id TEXT NOT NULL,
	last_id      INTEGER NOT NULL,
	events       TEXT NOT NULL,
	PRIMARY KEY (execution_id, last_id)
);

INSERT INTO workflow_history_chunks (execution_id, last_id, events)
	SELECT execution_id, id, json_build_array(CASE WHEN details IS NULL
		THEN json_build_array(id, previous_id, type, to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"000Z"'))
		ELSE json_build_array(id, previous_id, type, to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"000Z"'), details::json) END)::text
	FROM workflow_history;

DROP TABLE workflow_history;

CREATE VIEW workflow_history (execution_id, id, previous_id, type, timestamp, details) AS
	SELECT c.execution_id, (e.value ->> 0)::integer, (e.value ->> 1)::integer, e.value ->> 2,
		(e.value ->> 3)::timestamptz, (e.value -> 4)::text
	FROM workflow_history_chunks c, json_array_elements(c.events::json) AS e(value);
