-- Record links (S2S `PartnerNetworkRecordConnection`): one row per record, connection and
-- direction, on the side of the org it belongs to. The sender's row is written by a forward;
-- the receiver's when its copy exists (before that the offer waits in `sharing.inbox`).
CREATE TABLE sharing.record_links (
    id                UUID        PRIMARY KEY,
    -- The org whose link this is.
    org_id            UUID        NOT NULL,
    connection_id     UUID        NOT NULL REFERENCES sharing.connections (id),
    -- sent | received
    direction         TEXT        NOT NULL CHECK (direction IN ('sent', 'received')),
    -- The org's own object and record.
    object            TEXT        NOT NULL,
    local_record_id   TEXT        NOT NULL,
    -- The partner's object and record: the sender learns them when the receiver accepts.
    partner_object    TEXT,
    partner_record_id TEXT,
    parent_record_id  TEXT,
    related_records   JSONB       NOT NULL DEFAULT '[]',
    send_closed_tasks BOOLEAN     NOT NULL DEFAULT false,
    send_open_tasks   BOOLEAN     NOT NULL DEFAULT false,
    send_emails       BOOLEAN     NOT NULL DEFAULT false,
    -- Accepted (both sides).
    start_date        TIMESTAMPTZ,
    -- Stopped, rejected, deleted or converted.
    end_date          TIMESTAMPTZ,
    status            TEXT        NOT NULL CHECK (status IN (
        'Pending (sent)', 'Active (sent)', 'Active (received)',
        'Inactive', 'Inactive (deleted)', 'Inactive (converted)')),
    forwarded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_id, connection_id, direction, object, local_record_id)
);
-- A record's External Sharing list.
CREATE INDEX record_links_local ON sharing.record_links (org_id, object, local_record_id);
-- Translating a partner's record id into the local one.
CREATE INDEX record_links_partner
    ON sharing.record_links (org_id, connection_id, partner_object, partner_record_id);

-- The receiver's inbox: records forwarded to the org and not accepted yet, with what would be
-- created (the fields mapped through the org's subscription when the offer arrived).
CREATE TABLE sharing.inbox (
    id                UUID        PRIMARY KEY,
    -- The receiving org.
    org_id            UUID        NOT NULL,
    connection_id     UUID        NOT NULL REFERENCES sharing.connections (id),
    -- The sender's link row, named in the answer the sender gets.
    sender_link_id    UUID        NOT NULL,
    partner_object    TEXT        NOT NULL,
    partner_record_id TEXT        NOT NULL,
    -- The record's display name on the sender's side.
    name              TEXT        NOT NULL,
    -- The receiver's object and the mapped fields.
    object            TEXT        NOT NULL,
    fields            JSONB       NOT NULL,
    send_closed_tasks BOOLEAN     NOT NULL DEFAULT false,
    send_open_tasks   BOOLEAN     NOT NULL DEFAULT false,
    send_emails       BOOLEAN     NOT NULL DEFAULT false,
    -- waiting (for a decision, or again after a failed accept) | accepting (sync asked)
    state             TEXT        NOT NULL CHECK (state IN ('waiting', 'accepting')),
    -- by_hand | automatically: how the current or last accept was made.
    mode              TEXT        CHECK (mode IN ('by_hand', 'automatically')),
    assign_to         UUID,
    relate_to         TEXT,
    -- Why the last accept failed (the receiver's validation rules).
    error             TEXT,
    arrived_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_id, connection_id, partner_object, partner_record_id)
);
CREATE INDEX inbox_by_connection ON sharing.inbox (org_id, connection_id, object, arrived_at);
