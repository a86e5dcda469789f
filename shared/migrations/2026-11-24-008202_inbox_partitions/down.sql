CREATE TABLE messaging.inbox_unpartitioned (
    consumer    TEXT        NOT NULL,
    message_id  UUID        NOT NULL,
    handled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
INSERT INTO messaging.inbox_unpartitioned SELECT consumer, message_id, handled_at FROM messaging.inbox;
DROP TABLE messaging.inbox;
ALTER TABLE messaging.inbox_unpartitioned RENAME TO inbox;
ALTER TABLE messaging.inbox RENAME CONSTRAINT inbox_unpartitioned_pkey TO inbox_pkey;
