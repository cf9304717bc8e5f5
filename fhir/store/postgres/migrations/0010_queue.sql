-- Durable work queues (store.Queue): the HL7 v2 inbox and outbox. Items of
-- one partition (a sender, a destination) are delivered in id order.
-- Instants are BIGINT microseconds since the Unix epoch (UTC).
CREATE TABLE queue_items (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue         TEXT   NOT NULL,
  institution   TEXT   NOT NULL,
  partition_key TEXT   NOT NULL,
  dedupe_key    TEXT   NOT NULL, -- '' = none
  msg_type      TEXT   NOT NULL,
  state         TEXT   NOT NULL, -- pending, leased, done, error
  attempts      INTEGER NOT NULL,
  next_at       BIGINT NOT NULL,
  lease_until   BIGINT NOT NULL,
  owner         TEXT   NOT NULL,
  enqueued_at   BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  last_error    TEXT   NOT NULL,
  outcome       TEXT   NOT NULL,
  meta          BYTEA,
  body          BYTEA
);
CREATE UNIQUE INDEX queue_items_dedupe ON queue_items (queue, institution, dedupe_key) WHERE dedupe_key <> '';
CREATE INDEX queue_items_active ON queue_items (queue, partition_key, id) WHERE state IN ('pending', 'leased');
CREATE INDEX queue_items_state ON queue_items (queue, state, id);
-- Counts per partition, type and state without reading the items.
CREATE INDEX queue_items_counts ON queue_items (queue, partition_key, msg_type, state, institution);

-- Consumers' positions (e.g. in the change outbox), by name.
CREATE TABLE queue_cursors (
  name        TEXT   NOT NULL PRIMARY KEY,
  institution TEXT   NOT NULL, -- '*': a position over every institution
  value       BIGINT NOT NULL
);
