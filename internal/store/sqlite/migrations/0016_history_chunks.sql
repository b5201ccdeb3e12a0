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
	SELECT execution_id, id, CASE WHEN details IS NULL
		THEN json_array(json_array(id, previous_id, type, timestamp))
		ELSE json_array(json_array(id, previous_id, type, timestamp, json(details))) END
	FROM workflow_history;

DROP TABLE workflow_history;

CREATE VIEW workflow_history (execution_id, id, previous_id, type, timestamp, details) AS
	SELECT c.execution_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value -> 4
	FROM workflow_history_chunks c, json_each(c.events) e;
