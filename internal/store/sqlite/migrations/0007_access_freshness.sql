-- A database's owner (data_owner, '' once deleted) as of the access version
-- that changed it, so that a replica's refresh follows ownership changes by
-- difference, as it follows grants through their versions and tombstones.
CREATE TABLE owner_changes (
	version  INTEGER NOT NULL,
	database TEXT NOT NULL,
	owner    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX owner_changes_version ON owner_changes (version);

-- A share shows in its consumer's catalog through one resource link at most.
-- Should an older store hold two for one share, the oldest stays.
DELETE FROM resource_links WHERE id NOT IN (SELECT MIN(id) FROM resource_links GROUP BY share_id);
DROP INDEX resource_links_share;
CREATE UNIQUE INDEX resource_links_share ON resource_links (share_id);

-- A share's current invitation is its newest: found by (share_id, id).
DROP INDEX invitations_share;
CREATE INDEX invitations_share ON invitations (share_id, id);
