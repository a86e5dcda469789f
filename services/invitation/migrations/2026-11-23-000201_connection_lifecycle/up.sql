-- The invited org's own connection owner, set when it accepts (or edits the connection).
ALTER TABLE invitation.connections ADD COLUMN partner_owner_user_id UUID;
-- History is filtered by kind and time.
CREATE INDEX history_by_connection_kind ON invitation.history (connection_id, kind, occurred_at);
