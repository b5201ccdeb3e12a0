-- A grant's and a share's lookup by everything that identifies them used,
-- in a cached generic plan made while the tables were small, the index of
-- their database and table and filtered every grant or share of it by
-- principal or account. The indexes by database and table now end with the
-- principal and the account, so that whichever index the planner takes for
-- that lookup finds the one row; lookups by database and table alone use
-- their beginning as before.
DROP INDEX grants_resource;
CREATE INDEX grants_resource ON grants (database, tbl, principal);
DROP INDEX shares_database;
CREATE INDEX shares_database ON shares (database, tbl, account_id);
