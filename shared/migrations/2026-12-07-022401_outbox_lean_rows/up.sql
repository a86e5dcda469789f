-- An outbox row lives only until the relay has published it: written once, read once as text,
-- deleted. Two changes make it cheaper to write and to read (figures in docs/benchmarks.md,
-- "Lean outbox rows"):
-- * message_id is no longer unique-indexed: every envelope mints a new time-ordered id, and it
--   is a consumer's inbox, not the outbox, that recognises a message seen twice;
-- * body is JSON, not JSONB: checked for syntax on the way in, then kept as written and
--   published as it is, where JSONB was decomposed on insert and rebuilt into text on read.
-- The two remaining indexes are the relay's: (service, id) to read in order, the primary key
-- (id) to delete what RabbitMQ confirmed. A primary key of (service, id) alone was tried: with
-- stale statistics (the planner estimated 765 rows where 50,000 waited, as a queue table's
-- statistics often are) it deleted a batch by a bitmap scan of the service's whole backlog,
-- 10-22 ms a batch, where the primary key on id finds each row.
ALTER TABLE messaging.outbox DROP CONSTRAINT outbox_message_id_key;
ALTER TABLE messaging.outbox ALTER COLUMN body TYPE JSON USING body::json;
