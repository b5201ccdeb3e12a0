-- The data-sharing workflow's grants have the source '@sharing', so that a
-- request that ends takes back only what requests gave. Those it made
-- before kept the owner's source (''), and a request of then that ends
-- could take a permission the owner's admin had granted by hand. They get
-- the workflow's source where the store shows that requests alone gave
-- them; a grant that may hold a hand grant too keeps the owner's source,
-- and its requests end without taking anything back: a permission kept
-- is safer than one taken that was granted by hand.
--
-- A grant is the requests' alone when a shared request names it and:
-- - it holds no more than its shared requests ask for, each permission
--   with grant option, as the workflow grants (a hand grant of more, or
--   without grant option, shows);
-- - the workflow wrote it last (granted_by, the system actor);
-- - it is no older than the first request that names it (a grant made
--   before any of its requests was asked for was made by hand);
-- - the audit log, as far back as it is kept, shows no grant on it by
--   anyone but the system actor.
-- A hand grant that changed nothing a request had given left no trace,
-- and a grant made while its request waited for approval whose audit
-- entry is gone shows none either.
--
-- A workflow grant made since, under '@sharing', for the same principal and
-- resource takes in the older one (its permissions and its requests); the
-- older one is deleted, with a tombstone. Both are written at a new access
-- version, so that replicas read them again.
CREATE TABLE sharing_grants_moved (id INTEGER PRIMARY KEY, into_id INTEGER NOT NULL DEFAULT 0);
INSERT INTO sharing_grants_moved (id)
SELECT g.id FROM grants g
WHERE g.source = '' AND g.granted_by LIKE '%/system' AND g.permissions = g.grantable
	AND EXISTS (SELECT 1 FROM access_requests r WHERE r.grant_id = g.id AND r.status = 'SHARED')
	AND (g.permissions & ~(SELECT max(r.permissions & 1) | max(r.permissions & 2) | max(r.permissions & 4) | max(r.permissions & 8)
			| max(r.permissions & 16) | max(r.permissions & 32) | max(r.permissions & 64) | max(r.permissions & 128)
		FROM access_requests r WHERE r.grant_id = g.id AND r.status = 'SHARED')) = 0
	AND g.created_at >= (SELECT min(r.created_at) FROM access_requests r WHERE r.grant_id = g.id)
	AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.resource = 'grant/' || g.id AND a.action = 'access.grant'
		AND a.principal NOT LIKE '%/system');
UPDATE sharing_grants_moved SET into_id = coalesce((SELECT s.id FROM grants g, grants s
	WHERE g.id = sharing_grants_moved.id AND s.source = '@sharing' AND s.principal = g.principal
		AND s.database = g.database AND s.tbl = g.tbl AND s.col_mode = g.col_mode AND s.columns = g.columns), 0);

UPDATE access_version SET version = version + 1 WHERE id = 1
	AND EXISTS (SELECT 1 FROM sharing_grants_moved);
UPDATE grants SET
	permissions = permissions | (SELECT max(g.permissions & 1) | max(g.permissions & 2) | max(g.permissions & 4) | max(g.permissions & 8)
			| max(g.permissions & 16) | max(g.permissions & 32) | max(g.permissions & 64) | max(g.permissions & 128)
		FROM sharing_grants_moved m JOIN grants g ON g.id = m.id WHERE m.into_id = grants.id),
	grantable = grantable | (SELECT max(g.grantable & 1) | max(g.grantable & 2) | max(g.grantable & 4) | max(g.grantable & 8)
			| max(g.grantable & 16) | max(g.grantable & 32) | max(g.grantable & 64) | max(g.grantable & 128)
		FROM sharing_grants_moved m JOIN grants g ON g.id = m.id WHERE m.into_id = grants.id),
	version = (SELECT version FROM access_version WHERE id = 1)
WHERE id IN (SELECT into_id FROM sharing_grants_moved);
UPDATE access_requests SET grant_id = (SELECT into_id FROM sharing_grants_moved m WHERE m.id = access_requests.grant_id)
WHERE grant_id IN (SELECT id FROM sharing_grants_moved WHERE into_id <> 0);
INSERT INTO grant_tombstones (version, grant_id)
SELECT (SELECT version FROM access_version WHERE id = 1), id FROM sharing_grants_moved WHERE into_id <> 0;
DELETE FROM platform_grant_status WHERE grant_id IN (SELECT id FROM sharing_grants_moved WHERE into_id <> 0);
DELETE FROM grants WHERE id IN (SELECT id FROM sharing_grants_moved WHERE into_id <> 0);
UPDATE grants SET source = '@sharing', version = (SELECT version FROM access_version WHERE id = 1)
WHERE id IN (SELECT id FROM sharing_grants_moved WHERE into_id = 0);
DROP TABLE sharing_grants_moved;
