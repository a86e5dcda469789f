-- Who hears of a side's publication changes (the "Update Connection" email), per side: the
-- invited contact for the invitee (from the invitation), the inviter's connection owner (from
-- the answer). Kept here so a publication change can name the partner without asking invitation.
ALTER TABLE sharing.connections
    ADD COLUMN inviter_recipient_name  TEXT,
    ADD COLUMN inviter_recipient_email TEXT,
    ADD COLUMN invitee_recipient_name  TEXT,
    ADD COLUMN invitee_recipient_email TEXT;

-- The last time a template was applied to a connection by one of its sides, and how it went:
-- a template chosen at invite time is applied by a consumer, so its failure must be kept where
-- the org can see it.
CREATE TABLE sharing.template_applications (
    connection_id UUID        NOT NULL REFERENCES sharing.connections (id),
    org_id        UUID        NOT NULL,
    template_id   UUID        NOT NULL,
    -- applied | failed
    outcome       TEXT        NOT NULL,
    error         TEXT,
    applied_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, org_id)
);

-- The connections an org publishes an object to (deleting a custom object unpublishes it).
CREATE INDEX published_objects_by_org_object ON sharing.published_objects (org_id, object);
CREATE INDEX connection_templates_by_org ON sharing.connection_templates (org_id);
