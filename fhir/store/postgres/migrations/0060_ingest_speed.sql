-- Ingest speed (issue 3 §6). idx_token is the largest index table (about 40 %
-- of all index rows); its index by (type, param, system) served only the rare
-- token search by system alone (identifier=urn:oid:...|), which the value
-- index answers by its (type, param) prefix, and cost every write one more
-- B-tree insert among long runs of equal keys: about 12 % of the CPU of a
-- Synthea ingest on SQLite (docs/BENCHMARKS.md).
DROP INDEX IF EXISTS idx_token_system;
