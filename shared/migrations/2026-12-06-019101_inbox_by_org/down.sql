DELETE FROM messaging.inbox a USING messaging.inbox b
 WHERE a.consumer = b.consumer AND a.message_id = b.message_id AND a.org_id > b.org_id;
ALTER TABLE messaging.inbox DROP CONSTRAINT inbox_pkey;
ALTER TABLE messaging.inbox ADD PRIMARY KEY (consumer, message_id);
ALTER TABLE messaging.inbox DROP COLUMN org_id;
