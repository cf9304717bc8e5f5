-- Search, second step: composite values (grp ties the component rows of one
-- composite value together), indexes for the search shapes that must stay
-- fast as data grows (reverse references, token text, sort values).
ALTER TABLE idx_string ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_token ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_date ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_number ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_quantity ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_reference ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idx_uri ADD COLUMN grp INTEGER NOT NULL DEFAULT 0;

-- Per-resource lookups of one parameter (EXISTS filters, sort values,
-- _include): (institution, type, id, param) instead of (institution, type, id).
DROP INDEX idx_string_resource;
CREATE INDEX idx_string_resource ON idx_string (institution, type, id, param);
DROP INDEX idx_token_resource;
CREATE INDEX idx_token_resource ON idx_token (institution, type, id, param);
DROP INDEX idx_date_resource;
CREATE INDEX idx_date_resource ON idx_date (institution, type, id, param);
DROP INDEX idx_number_resource;
CREATE INDEX idx_number_resource ON idx_number (institution, type, id, param);
DROP INDEX idx_quantity_resource;
CREATE INDEX idx_quantity_resource ON idx_quantity (institution, type, id, param);
DROP INDEX idx_reference_resource;
CREATE INDEX idx_reference_resource ON idx_reference (institution, type, id, param);
DROP INDEX idx_uri_resource;
CREATE INDEX idx_uri_resource ON idx_uri (institution, type, id, param);

-- _revinclude and _has: who references this resource through param.
DROP INDEX idx_reference_target;
CREATE INDEX idx_reference_target ON idx_reference (ref_type, ref_id, type, param);
-- :identifier and token searches by system only.
CREATE INDEX idx_token_system ON idx_token (type, param, system);
