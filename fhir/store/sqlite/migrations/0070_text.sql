-- Whole texts for _text (the narrative) and _content (every string of the
-- resource), matched only by :contains (LIKE '%...%', which no B-tree on the
-- value serves): one row per resource and parameter with the normalised text,
-- and only the per-resource index, instead of 200-character chunks in
-- idx_string carried by its two value indexes (the largest share of a
-- Synthea ingest's index bytes). The existing chunks move over as they are
-- (a reindex makes them whole) and their resources get the table's idx_mask
-- bit (1 << 8, store.ParamText).
CREATE TABLE idx_text (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  grp INTEGER NOT NULL DEFAULT 0, value_norm TEXT NOT NULL
);
CREATE INDEX idx_text_resource ON idx_text (institution, type, id, param);
INSERT INTO idx_text (institution, type, id, param, grp, value_norm)
  SELECT institution, type, id, param, grp, value_norm FROM idx_string WHERE param IN ('_text', '_content');
DELETE FROM idx_string WHERE param IN ('_text', '_content');
UPDATE resources SET idx_mask = idx_mask | 256
  WHERE EXISTS (SELECT 1 FROM idx_text t WHERE t.institution = resources.institution AND t.type = resources.type AND t.id = resources.id);
