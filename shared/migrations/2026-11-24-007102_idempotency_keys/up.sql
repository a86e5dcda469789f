-- Answers of creating requests sent with an `Idempotency-Key` header, per org and key, kept a day
-- (shared/src/http/idempotency.rs). A row without `status` is a request still being served.
CREATE SCHEMA IF NOT EXISTS http;

CREATE TABLE http.idempotency_keys (
    org_id        UUID        NOT NULL,
    key           TEXT        NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash  BYTEA       NOT NULL,
    status        SMALLINT,
    content_type  TEXT,
    body          BYTEA,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_by_age ON http.idempotency_keys (created_at);
