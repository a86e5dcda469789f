-- The invitation service's tables: connections, their invitation tokens and their history.
CREATE SCHEMA IF NOT EXISTS invitation;

CREATE TABLE invitation.connections (
    id              UUID PRIMARY KEY,
    -- The org that sent the invitation.
    org_id          UUID        NOT NULL,
    -- The invited org, once it has claimed the invitation.
    partner_org_id  UUID,
    status          TEXT        NOT NULL
        CHECK (status IN ('Sent', 'Received', 'Pending', 'Accepted', 'Rejected', 'Inactive', 'Cancelled')),
    contact_name    TEXT        NOT NULL,
    contact_email   TEXT        NOT NULL,
    account_name    TEXT,
    owner_user_id   UUID,
    template_id     UUID,
    invited_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the invitation was accepted or rejected.
    response_date   TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX connections_by_org ON invitation.connections (org_id, invited_at);
CREATE INDEX connections_by_partner ON invitation.connections (partner_org_id) WHERE partner_org_id IS NOT NULL;

-- Invitation tokens: random, stored only as SHA-256, single use, expiring.
CREATE TABLE invitation.tokens (
    token_hash     BYTEA PRIMARY KEY,
    connection_id  UUID        NOT NULL REFERENCES invitation.connections (id),
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    revoked_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tokens_by_connection ON invitation.tokens (connection_id);

-- Connection history: status changes, edits, emails sent, errors.
CREATE TABLE invitation.history (
    id                 BIGSERIAL PRIMARY KEY,
    connection_id      UUID        NOT NULL REFERENCES invitation.connections (id),
    kind               TEXT        NOT NULL,
    summary            TEXT        NOT NULL,
    detail             JSONB       NOT NULL DEFAULT '{}'::jsonb,
    occurred_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The event this row was made from, when it came from another service.
    source_message_id  UUID UNIQUE
);
CREATE INDEX history_by_connection ON invitation.history (connection_id, occurred_at, id);
