-- The audit trail (store.AuditLog): AuditEvents (IHE BALP) in a hash chain.
-- Append-only: the store inserts and, for retention, deletes a prefix;
-- updates are refused by a trigger. Instants are INTEGER microseconds (UTC).
CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY, -- 1, 2, 3, ... without gaps: the chain order
  institution TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  action      TEXT    NOT NULL,
  outcome     TEXT    NOT NULL,
  agent       TEXT    NOT NULL,
  event       BLOB    NOT NULL,
  prev_hash   BLOB    NOT NULL,
  hash        BLOB    NOT NULL
);
CREATE INDEX audit_events_recorded ON audit_events (recorded_at);
CREATE INDEX audit_events_agent ON audit_events (institution, agent, recorded_at);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- Where the chain starts after a retention purge (one row, id = 1).
CREATE TABLE audit_anchor (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  institution TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  hash        BLOB    NOT NULL,
  purged_at   INTEGER NOT NULL
);
INSERT INTO audit_anchor (id, institution, seq, hash, purged_at) VALUES (1, '*', 0, X'', 0);
