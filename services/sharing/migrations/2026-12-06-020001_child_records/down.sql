DROP INDEX sharing.inbox_children;
ALTER TABLE sharing.inbox
    DROP COLUMN parent_object,
    DROP COLUMN parent_record_id,
    DROP COLUMN parent_lookup;
