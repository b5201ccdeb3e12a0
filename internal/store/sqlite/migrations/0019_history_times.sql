-- An event made at the same time as the event before it in its chunk (the
-- events one transaction appends are) keeps "" for its timestamp instead of
-- the time again. The view shows each event's time: its own, or the latest
-- one written before it in the chunk (the first event of a chunk always has
-- one).
DROP VIEW workflow_history;

CREATE VIEW workflow_history (execution_id, id, previous_id, type, timestamp, details, repeats) AS
	SELECT c.execution_id, e.value ->> 0, e.value ->> 1, e.value ->> 2,
		coalesce(nullif(e.value ->> 3, ''),
			(SELECT p.value ->> 3 FROM json_each(c.events) p
			WHERE p.key < e.key AND p.value ->> 3 <> '' ORDER BY p.key DESC LIMIT 1)),
		e.value -> 4, e.value -> 5
	FROM workflow_history_chunks c, json_each(c.events) e;
