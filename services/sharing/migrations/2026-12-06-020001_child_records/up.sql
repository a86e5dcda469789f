-- Child records (a contact of an account, a task of a record) travel with their parent: an
-- offer of one names the partner's parent record and the child's lookup to it, and waits in
-- the inbox until the parent's copy exists (whatever order the offers arrive in).
ALTER TABLE sharing.inbox
    ADD COLUMN parent_object    TEXT,
    ADD COLUMN parent_record_id TEXT,
    -- The child's lookup to the parent (the partner's API name: `AccountId`, `WhatId`).
    ADD COLUMN parent_lookup    TEXT;
-- The children waiting for a parent's copy.
CREATE INDEX inbox_children ON sharing.inbox (org_id, connection_id, parent_object, parent_record_id)
    WHERE parent_record_id IS NOT NULL;
