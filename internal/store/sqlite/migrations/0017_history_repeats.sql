-- An event may leave out of its details the fields that hold the value the
-- previous event holds (a state's input, the output the state before it
-- exited with): the chunk's sixth element names them, and the store fills
-- them in as it reads the history. The view shows the details as kept and
-- that element as repeats, {"input": "output"}, NULL for most events.
DROP VIEW workflow_history;

CREATE VIEW workflow_history (execution_id, id, previous_id, type, timestamp, details, repeats) AS
	SELECT c.execution_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value -> 4, e.value -> 5
	FROM workflow_history_chunks c, json_each(c.events) e;
