-- An outbox row lives only until the relay has published it: written once, read once as text,
-- deleted. Three changes make it cheaper to write and to read (figures in docs/benchmarks.md,
-- "The outbox row made lean"):
-- * the primary key is (service, id), the order the relay reads and deletes in, and the separate
--   (service, id) index goes;
-- * message_id is no longer unique-indexed: every envelope mints a new time-ordered id, and it
--   is a consumer's inbox, not the outbox, that recognises a message seen twice;
-- * body is JSON, not JSONB: checked for syntax on the way in, then kept as written and
--   published as it is, where JSONB was decomposed on insert and rebuilt into text on read.
ALTER TABLE messaging.outbox DROP CONSTRAINT outbox_pkey;
DROP INDEX messaging.outbox_by_service;
ALTER TABLE messaging.outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (service, id);
ALTER TABLE messaging.outbox DROP CONSTRAINT outbox_message_id_key;
ALTER TABLE messaging.outbox ALTER COLUMN body TYPE JSON USING body::json;
