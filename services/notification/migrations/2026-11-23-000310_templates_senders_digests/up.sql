-- An org's own templates, one set per email kind.
CREATE TABLE notification.templates (
    org_id      UUID        NOT NULL,
    kind        TEXT        NOT NULL,
    subject     TEXT        NOT NULL,
    text_body   TEXT        NOT NULL,
    html_body   TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, kind)
);

-- An org's sender: used as From only when the address's domain is verified for the org.
CREATE TABLE notification.senders (
    org_id        UUID PRIMARY KEY,
    from_name     TEXT        NOT NULL,
    from_address  TEXT        NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Domains an operator verified for an org (`partnernet domain verify`).
CREATE TABLE notification.verified_domains (
    org_id       UUID        NOT NULL,
    domain       TEXT        NOT NULL,
    verified_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, domain)
);

-- Sync failures waiting for their connection's digest email.
CREATE TABLE notification.digest_items (
    id                 BIGSERIAL PRIMARY KEY,
    org_id             UUID        NOT NULL,
    connection_id      UUID        NOT NULL,
    owner_name         TEXT        NOT NULL,
    owner_email        TEXT        NOT NULL,
    object             TEXT        NOT NULL,
    record_id          TEXT        NOT NULL,
    record_name        TEXT        NOT NULL,
    error              TEXT        NOT NULL,
    attempts           INT         NOT NULL,
    failed_at          TIMESTAMPTZ NOT NULL,
    received_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The digest email that reported it; NULL while waiting.
    email_id           UUID
);
CREATE INDEX digest_items_waiting ON notification.digest_items (connection_id, received_at) WHERE email_id IS NULL;
