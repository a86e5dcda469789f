ALTER TABLE messaging.outbox ALTER COLUMN body TYPE JSONB USING body::jsonb;
ALTER TABLE messaging.outbox ADD CONSTRAINT outbox_message_id_key UNIQUE (message_id);
