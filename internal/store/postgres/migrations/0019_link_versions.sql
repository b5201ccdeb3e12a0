-- Resource links carry the access version that made them, and deleted links
-- leave a tombstone at the version that deleted them, as grants do, so that
-- a replica's refresh reads the links changed since its version instead of
-- every link. Links made before have version 0: a replica that loaded them
-- has them.
ALTER TABLE resource_links ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX resource_links_version ON resource_links (version);

CREATE TABLE link_tombstones (
	version BIGINT NOT NULL,
	link_id BIGINT NOT NULL
);
CREATE INDEX link_tombstones_version ON link_tombstones (version);
