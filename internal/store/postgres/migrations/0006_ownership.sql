-- Offboarded account ids are remembered: onboarding one again must be asked
-- for explicitly, and a new account never inherits the old one's things.
CREATE TABLE offboarded_accounts (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	offboarded_at TIMESTAMPTZ NOT NULL,
	offboarded_by TEXT NOT NULL
);

-- Storage locations, normalized (mesh.LocationKey), so that a location
-- inside, containing or equal to another owner's is found with indexed
-- lookups: equality for the locations containing it, a range for those
-- inside it (byte order, hence COLLATE "C"). NULL until the store fills it
-- in for rows written before this migration (at open, in Go, which owns the
-- normalization); '' for none.
ALTER TABLE catalog_databases ADD COLUMN location_key TEXT COLLATE "C";
ALTER TABLE catalog_tables ADD COLUMN location_key TEXT COLLATE "C";
UPDATE catalog_databases SET location_key = '' WHERE location_uri = '';
UPDATE catalog_tables SET location_key = '' WHERE location = '';
CREATE INDEX catalog_databases_location ON catalog_databases (location_key);
CREATE INDEX catalog_tables_location ON catalog_tables (location_key);
