-- yigong store schema, SQLite. Every data table carries institution, the
-- partition key; resource tables have it first in their primary key.
-- Instants are BIGINT microseconds since the Unix epoch (UTC).

-- The current version of each resource (one row per resource).
CREATE TABLE resources (
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted      INTEGER NOT NULL,
  idx_mask     INTEGER NOT NULL, -- bit 1<<ParamType: the resource has rows in that index table
  PRIMARY KEY (institution, type, id)
) WITHOUT ROWID;
CREATE INDEX resources_type_id ON resources (type, id);
CREATE INDEX resources_type_updated ON resources (type, last_updated);

-- Every version, the current one included; body is NULL for deletions.
CREATE TABLE resource_versions (
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted      INTEGER NOT NULL,
  vseq         INTEGER NOT NULL, -- write order, for history paging
  body         BLOB,
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
) WITHOUT ROWID;
CREATE INDEX conditional_keys_resource ON conditional_keys (institution, type, id);

-- The transactional outbox, in commit order (seq dense from 1).
CREATE TABLE changes (
  seq          INTEGER PRIMARY KEY,
  institution  TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  version      INTEGER NOT NULL,
  op           TEXT    NOT NULL,
  committed_at INTEGER NOT NULL
);
CREATE TABLE change_counter (
  one  INTEGER PRIMARY KEY CHECK (one = 1),
  last INTEGER NOT NULL
);
INSERT INTO change_counter (one, last) VALUES (1, 0);

-- Search index tables: one row per indexed value of the current version.
CREATE TABLE idx_string (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  value TEXT NOT NULL, value_norm TEXT NOT NULL
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
  lo INTEGER NOT NULL, hi INTEGER NOT NULL -- [lo, hi) in µs
);
CREATE INDEX idx_date_value ON idx_date (type, param, lo, hi);
CREATE INDEX idx_date_resource ON idx_date (institution, type, id);

CREATE TABLE idx_number (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  lo REAL NOT NULL, hi REAL NOT NULL
);
CREATE INDEX idx_number_value ON idx_number (type, param, lo);
CREATE INDEX idx_number_resource ON idx_number (institution, type, id);

CREATE TABLE idx_quantity (
  institution TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
  canon_code TEXT NOT NULL, canon_lo REAL NOT NULL, canon_hi REAL NOT NULL
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
