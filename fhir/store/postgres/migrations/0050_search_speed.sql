-- Search speed (issue 3 §6). The value indexes also hold the resource key
-- (id, institution): a filter probe on a value is one seek, and a driving
-- filter yields its resources in key order without visiting the table, so
-- a search in the default order (_id, then institution) stops after one page.
-- The per-resource indexes of strings, dates, quantities and references
-- carry their values, so probing them never leaves the index (and SQLite
-- prefers them to a covering value index scanned per resource). Quantities get an index without the
-- unit, for value-quantity=gt100; resources of one type in key order, for
-- searches that walk them (ORDER BY id, institution without a sort).
DROP INDEX idx_token_value;
CREATE INDEX idx_token_value ON idx_token (type, param, code, system, id, institution);
DROP INDEX idx_reference_value;
CREATE INDEX idx_reference_value ON idx_reference (type, param, ref_id, ref_type, id, institution);
DROP INDEX idx_reference_resource;
CREATE INDEX idx_reference_resource ON idx_reference (institution, type, id, param, ref_type, ref_id);
DROP INDEX idx_string_value;
CREATE INDEX idx_string_value ON idx_string (type, param, value_norm, id, institution);
DROP INDEX idx_date_resource;
CREATE INDEX idx_date_resource ON idx_date (institution, type, id, param, lo, hi);
DROP INDEX idx_string_resource;
CREATE INDEX idx_string_resource ON idx_string (institution, type, id, param, value_norm);
DROP INDEX idx_quantity_resource;
CREATE INDEX idx_quantity_resource ON idx_quantity (institution, type, id, param, lo);
CREATE INDEX idx_quantity_number ON idx_quantity (type, param, lo, id, institution);
CREATE INDEX resources_type_key ON resources (type, id, institution);
