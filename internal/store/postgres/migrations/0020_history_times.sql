-- An event made at the same time as the event before it in its chunk (the
-- events one transaction appends are) keeps "" for its timestamp instead of
-- the time again. The view shows each event's time: its own, or the latest
-- one written before it in the chunk (the first event of a chunk always has
-- one).
DROP VIEW workflow_history;

CREATE VIEW workflow_history (execution_id, id, previous_id, type, timestamp, details, repeats) AS
	SELECT c.execution_id, (e.value ->> 0)::integer, (e.value ->> 1)::integer, e.value ->> 2,
		coalesce(nullif(e.value ->> 3, ''),
			(SELECT p.value ->> 3 FROM json_array_elements(c.events::json) WITH ORDINALITY AS p(value, n)
			WHERE p.n < e.n AND p.value ->> 3 <> '' ORDER BY p.n DESC LIMIT 1))::timestamptz,
		(e.value -> 4)::text, (e.value -> 5)::text
	FROM workflow_history_chunks c, json_array_elements(c.events::json) WITH ORDINALITY AS e(value, n);
