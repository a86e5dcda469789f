-- The sharing service now publishes its connection templates (ConnectionTemplateChangedV1):
-- only an active one may be named in a `template_id`. `changed_at` is the event's time, so an
-- older event never overwrites a newer state.
ALTER TABLE invitation.connection_templates
    ADD COLUMN active BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN changed_at TIMESTAMPTZ NOT NULL DEFAULT now();
