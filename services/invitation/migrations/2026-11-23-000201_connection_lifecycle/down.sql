DROP INDEX invitation.history_by_connection_kind;
ALTER TABLE invitation.connections DROP COLUMN partner_owner_user_id;
