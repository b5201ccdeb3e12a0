-- A principal holds one grant on a resource per source: an owner's or mesh
-- admin's (source '') and one from each holder's grant option, so that each
-- ends with its own source (the cascade) and its grantor can revoke it.
-- Grants merged before keep the source they had.
ALTER TABLE grants DROP CONSTRAINT grants_principal_database_tbl_col_mode_columns_key;
ALTER TABLE grants ADD CONSTRAINT grants_principal_resource_source_key UNIQUE (principal, database, tbl, col_mode, columns, source);
