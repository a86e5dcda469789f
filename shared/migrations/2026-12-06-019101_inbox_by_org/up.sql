-- The inbox keyed by org too. An org chooses the message ids of what its own systems publish
-- (record ingest), so under (consumer, message_id) alone one org sending another org's message
-- id first would have that org's message taken for a duplicate and dropped. Rows handled before
-- this migration keep the nil org: they are still recognised as duplicates for any org (see
-- shared/src/inbox.rs) until the retention removes them.
ALTER TABLE messaging.inbox
    ADD COLUMN org_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
ALTER TABLE messaging.inbox DROP CONSTRAINT inbox_pkey;
ALTER TABLE messaging.inbox ADD PRIMARY KEY (consumer, org_id, message_id);
ALTER TABLE messaging.inbox ALTER COLUMN org_id DROP DEFAULT;
