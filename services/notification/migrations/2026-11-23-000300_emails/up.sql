-- The notification service's email outbox: one row per email, sent by the delivery worker.
CREATE SCHEMA IF NOT EXISTS notification;

CREATE TABLE notification.emails (
    id                 UUID PRIMARY KEY,
    -- The org on whose behalf the email is sent.
    org_id             UUID        NOT NULL,
    connection_id      UUID,
    kind               TEXT        NOT NULL,
    recipient          TEXT        NOT NULL,
    from_header        TEXT        NOT NULL,
    reply_to           TEXT,
    subject            TEXT        NOT NULL,
    text_body          TEXT        NOT NULL,
    html_body          TEXT        NOT NULL,
    status             TEXT        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'retrying', 'sent', 'failed')),
    attempts           INT         NOT NULL DEFAULT 0,
    next_attempt_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error         TEXT,
    -- The event that asked for the email: a redelivered event finds its email already here.
    source_message_id  UUID        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at            TIMESTAMPTZ,
    UNIQUE (source_message_id, kind, recipient)
);
CREATE INDEX emails_due ON notification.emails (next_attempt_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX emails_by_org ON notification.emails (org_id, created_at);
