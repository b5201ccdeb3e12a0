-- Search folds diacritics (store.Tokens: "cafe" finds "café", as SQLite's
-- FTS5 index does): the search vectors written before kept them. The rows
-- whose text goes beyond ASCII, the only ones whose vectors change, are
-- marked here; the store recomputes their vectors at open (in Go, which
-- owns the tokenizer) and clears the mark, found through a partial index
-- that is empty afterwards.
ALTER TABLE catalog_databases ADD COLUMN search_refold BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE catalog_tables ADD COLUMN search_refold BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE catalog_databases SET search_refold = TRUE WHERE (description || parameters::text) ~ '[^\x01-\x7f]';
UPDATE catalog_tables SET search_refold = TRUE
	WHERE (description || parameters::text || columns::text || partition_keys::text) ~ '[^\x01-\x7f]';
CREATE INDEX catalog_databases_refold ON catalog_databases (id) WHERE search_refold;
CREATE INDEX catalog_tables_refold ON catalog_tables (id) WHERE search_refold;
