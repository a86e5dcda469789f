ALTER TABLE invitation.connection_templates DROP COLUMN changed_at, DROP COLUMN active;
