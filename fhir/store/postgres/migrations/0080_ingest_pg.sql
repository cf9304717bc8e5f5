-- PostgreSQL ingest (issue 3 §6). Every new resource's row is written twice in
-- its transaction: inserted with idx_mask 0, and updated with the mask when its
-- index rows are flushed at commit. On full pages that update went to another
-- page and added an entry to each of the table's indexes (99 % of them in a
-- Synthea load); with half of each new page left free it stays on its page as
-- a heap-only tuple, and no index is touched (idx_mask is in none). Rows are
-- ~120 bytes, so a half-full page holds ~33 of them and room for one new
-- version of each. This applies to pages written from now on.
ALTER TABLE resources SET (fillfactor = 50);
-- (type, id) is a prefix of resources_type_key (type, id, institution), which
-- serves every lookup it served: one B-tree fewer to maintain per write.
DROP INDEX IF EXISTS resources_type_id;
-- Version bodies (1.5 kB of JSON on average, about one in eight over the TOAST
-- threshold) are compressed with LZ4 where the server has it: several times
-- cheaper than the default pglz both ways. Existing bodies stay as they are.
DO $$
BEGIN
  ALTER TABLE resource_versions ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL; -- a server built without LZ4 keeps pglz
END $$;
-- The engine's background ANALYZE (Dialect.Analyze, run as a bulk load grows
-- the tables) was a fifth of the server's CPU in a Synthea load. These
-- columns are never compared with = or a range by the searches that need
-- estimates (bodies; whole texts and token display texts, matched only by
-- LIKE '%...%' or through LOWER(), which use default selectivities anyway;
-- raw strings and reference URLs, only in rare :exact and canonical
-- searches that also filter on an indexed column): no statistics for them,
-- which spares sorting 30,000 long values of each per run (a third of the
-- cost of an ANALYZE).
ALTER TABLE resource_versions ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE idx_text ALTER COLUMN value_norm SET STATISTICS 0;
ALTER TABLE idx_token ALTER COLUMN text SET STATISTICS 0;
ALTER TABLE idx_string ALTER COLUMN value SET STATISTICS 0;
ALTER TABLE idx_reference ALTER COLUMN url SET STATISTICS 0;
