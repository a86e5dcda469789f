-- Records whose partner ended sharing them on a connection (stopped, deleted, converted), so
-- that an offer of the record sent before the end but arriving after it (the two messages
-- travel on different queues) is dropped instead of waiting in the inbox for ever.
CREATE TABLE sharing.withdrawn_offers (
    -- The receiving org, and the partner's object and record on the connection.
    org_id            UUID        NOT NULL,
    connection_id     UUID        NOT NULL REFERENCES sharing.connections (id),
    partner_object    TEXT        NOT NULL,
    partner_record_id TEXT        NOT NULL,
    -- The latest end, on the partner's clock: an offer made before it is withdrawn.
    ended_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, connection_id, partner_object, partner_record_id)
);
