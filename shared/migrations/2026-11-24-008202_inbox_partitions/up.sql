-- The inbox, bounded: range-partitioned on message_id. Message ids are UUIDv7, whose first 48
-- bits are the publication time in ms, so each partition holds the ids of one time span and a
-- whole old partition is dropped at once (see shared/src/inbox/retention.rs). The primary key
-- stays (consumer, message_id), global, usable by INSERT ... ON CONFLICT DO NOTHING. Ids that are
-- not v7 (or older than every partition) go to the default partition, cleaned by handled_at.
ALTER TABLE messaging.inbox RENAME TO inbox_unpartitioned;
ALTER TABLE messaging.inbox_unpartitioned RENAME CONSTRAINT inbox_pkey TO inbox_unpartitioned_pkey;
CREATE TABLE messaging.inbox (
    consumer    TEXT        NOT NULL,
    message_id  UUID        NOT NULL,
    handled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
) PARTITION BY RANGE (message_id);
CREATE TABLE messaging.inbox_default PARTITION OF messaging.inbox DEFAULT;
CREATE INDEX inbox_default_by_age ON messaging.inbox_default (handled_at);
INSERT INTO messaging.inbox SELECT consumer, message_id, handled_at FROM messaging.inbox_unpartitioned;
DROP TABLE messaging.inbox_unpartitioned;
