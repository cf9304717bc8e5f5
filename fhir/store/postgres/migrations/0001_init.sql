-- yigong store schema, PostgreSQL. Every data table carries institution, the
-- partition key; resource tables have it first in their primary key, so that
-- a distributed engine (Citus) can make it the distribution column.
-- Instants are BIGINT microseconds since the Unix epoch (UTC).

-- The current version of each resource (one row per resource).
CREATE TABLE resources (
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      BIGINT NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted      BOOLEAN NOT NULL,
  idx_mask     BIGINT NOT NULL, -- bit 1<<ParamType: the resource has rows in that index table
  PRIMARY KEY (institution, type, id)
);
CREATE INDEX resources_type_id ON resources (type, id);
CREATE INDEX resources_type_updated ON resources (type, last_updated);

CREATE SEQUENCE resource_versions_vseq_seq;

-- Every version, the current one included; body is NULL for deletions.
CREATE TABLE resource_versions (
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      BIGINT NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted      BOOLEAN NOT NULL,
  vseq         BIGINT NOT NULL DEFAULT nextval('resource_versions_vseq_seq'), -- write order, for history paging
  body         BYTEA,
  PRIMARY KEY (institution, type, id, version)
);
CREATE UNIQUE INDEX resource_versions_vseq ON resource_versions (vseq);
CREATE INDEX resource_versions_type_vseq ON resource_versions (type, vseq);

-- Conditional-create keys: the unique key that makes If-None-Exist race-free.
CREATE TABLE conditional_keys (
  institution TEXT NOT NULL,
  type        TEXT NOT NULL,
  key_hash    TEXT NOT NULL, -- hex SHA-256 of type?normalised-criteria
  criteria    TEXT NOT NULL,
  id          TEXT NOT NULL,
  PRIMARY KEY (institution, type, key_hash)
);
CREATE INDEX conditional_keys_resource ON conditional_keys (institution, type, id);

-- The transactional outbox, in commit order (seq dense from 1).
CREATE TABLE changes (
  seq          BIGINT PRIMARY KEY,
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      BIGINT NOT NULL,
  op           TEXT    NOT NULL,
  committed_at BIGINT NOT NULL
);
CREATE TABLE change_counter (
  one  INTEGER PRIMARY KEY CHECK (one = 1),
  last BIGINT NOT NULL
);
INSERT INTO change_counter (one, last) VALUES (1, 0);

-- Search index tables: one row per indexed value of the current version.
CREATE TABLE idx_string (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  value TEXT NOT NULL, value_norm TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_string_value ON idx_string (type, param, value_norm);
CREATE INDEX idx_string_resource ON idx_string (institution, type, id);

CREATE TABLE idx_token (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX idx_token_value ON idx_token (type, param, code, system);
CREATE INDEX idx_token_resource ON idx_token (institution, type, id);

CREATE TABLE idx_date (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  lo BIGINT NOT NULL, hi BIGINT NOT NULL -- [lo, hi) in µs
);
CREATE INDEX idx_date_value ON idx_date (type, param, lo, hi);
CREATE INDEX idx_date_resource ON idx_date (institution, type, id);

CREATE TABLE idx_number (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  lo DOUBLE PRECISION NOT NULL, hi DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_number_value ON idx_number (type, param, lo);
CREATE INDEX idx_number_resource ON idx_number (institution, type, id);

CREATE TABLE idx_quantity (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL, lo DOUBLE PRECISION NOT NULL, hi DOUBLE PRECISION NOT NULL,
  canon_code TEXT NOT NULL, canon_lo DOUBLE PRECISION NOT NULL, canon_hi DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_quantity_value ON idx_quantity (type, param, code, lo);
CREATE INDEX idx_quantity_canon ON idx_quantity (type, param, canon_code, canon_lo);
CREATE INDEX idx_quantity_resource ON idx_quantity (institution, type, id);

CREATE TABLE idx_reference (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  ref_type TEXT NOT NULL, ref_id TEXT NOT NULL, url TEXT NOT NULL
);
CREATE INDEX idx_reference_value ON idx_reference (type, param, ref_id, ref_type);
CREATE INDEX idx_reference_target ON idx_reference (ref_type, ref_id);
CREATE INDEX idx_reference_resource ON idx_reference (institution, type, id);

CREATE TABLE idx_uri (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  uri TEXT NOT NULL
);
CREATE INDEX idx_uri_value ON idx_uri (type, param, uri);
CREATE INDEX idx_uri_resource ON idx_uri (institution, type, id);
