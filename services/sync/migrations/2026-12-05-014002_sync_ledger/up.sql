-- The sync ledger: one row per update sent over one link (`FieldsUpdatedV1.update_id`), written
-- Queued by the sender's propagation and moved by the receiver's apply. Both orgs see it.
CREATE TABLE sync.ledger (
    update_id          uuid PRIMARY KEY,
    -- Paging order.
    seq                bigserial NOT NULL UNIQUE,
    connection_id      uuid NOT NULL,
    link_id            uuid NOT NULL,
    sender_org_id      uuid NOT NULL,
    sender_object      text NOT NULL,
    sender_record_id   text NOT NULL,
    receiver_org_id    uuid NOT NULL,
    receiver_object    text NOT NULL,
    receiver_record_id text NOT NULL,
    -- Target field -> {"value", "stamp", "origin"}: what was sent.
    fields             jsonb NOT NULL,
    state              text NOT NULL CHECK (state IN ('Queued', 'Applied', 'Superseded', 'Failed')),
    attempts           integer NOT NULL DEFAULT 0,
    error              text,
    -- The copy's values the update overwrote (field -> value), once applied.
    overwritten        jsonb,
    queued_at          timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz
);
CREATE INDEX ledger_by_sender ON sync.ledger (sender_org_id, connection_id, seq);
CREATE INDEX ledger_by_receiver ON sync.ledger (receiver_org_id, connection_id, seq);
