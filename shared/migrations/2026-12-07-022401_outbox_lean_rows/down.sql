ALTER TABLE messaging.outbox ALTER COLUMN body TYPE JSONB USING body::jsonb;
ALTER TABLE messaging.outbox ADD CONSTRAINT outbox_message_id_key UNIQUE (message_id);
ALTER TABLE messaging.outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE messaging.outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);
CREATE INDEX outbox_by_service ON messaging.outbox (service, id);
