-- The authorization server's records (store.AuthRecords): users, roles,
-- clients, authorization codes, refresh tokens, sessions, as JSON values
-- under (kind, key) with a compare-and-swap version.
-- Instants are INTEGER microseconds since the Unix epoch (UTC); 0 = never.
CREATE TABLE auth_records (
  kind        TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  institution TEXT    NOT NULL,
  value       BLOB    NOT NULL,
  version     INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
);
CREATE INDEX auth_records_expiry ON auth_records (expires_at) WHERE expires_at <> 0;
