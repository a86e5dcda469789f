-- The view sharing reads to forward records also names each record's owner (a user's or a
-- queue's id, from `OwnerId` or the assignee of an accepted copy): sharing lets the owner,
-- the users above the owner and admins forward and stop sharing it.
CREATE OR REPLACE VIEW sync.shareable_records AS
    SELECT org_id, object, record_id, fields, private, version, last_modified_at, owner
    FROM sync.records
    WHERE NOT deleted;
