-- The connection templates an org may name in `template_id`: the invitation service's read model
-- of the templates the sharing service will own. No event fills it yet, so it is empty and every
-- `template_id` is refused (422) until connection templates exist.
CREATE TABLE invitation.connection_templates (
    id          UUID PRIMARY KEY,
    org_id      UUID        NOT NULL,
    name        TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX connection_templates_by_org ON invitation.connection_templates (org_id);
