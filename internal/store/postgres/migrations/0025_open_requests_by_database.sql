-- The open requests of a database are found when it is deleted or its
-- owner changes: the index of open requests leads with the database, so
-- that it serves that search as well as the search for a target's open
-- request for one resource.
DROP INDEX access_requests_open;
CREATE UNIQUE INDEX access_requests_open ON access_requests (database_name, table_name, target_account)
	WHERE status IN ('SUBMITTED', 'PENDING_APPROVAL');
