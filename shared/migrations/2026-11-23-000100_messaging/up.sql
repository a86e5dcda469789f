-- The runtime's messaging tables. Each service writes only rows that name it.
CREATE SCHEMA IF NOT EXISTS messaging;

-- Transactional outbox: a row commits with the state change that caused it; the relay publishes
-- it with confirms, then deletes it.
CREATE TABLE messaging.outbox (
    id          BIGSERIAL PRIMARY KEY,
    service     TEXT        NOT NULL,
    message_id  UUID        NOT NULL UNIQUE,
    routing_key TEXT        NOT NULL,
    body        JSONB       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_by_service ON messaging.outbox (service, id);

-- Inbox: a row per message a consumer handled, committed with the handler's effect.
CREATE TABLE messaging.inbox (
    consumer    TEXT        NOT NULL,
    message_id  UUID        NOT NULL,
    handled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
