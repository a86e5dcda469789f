-- The records an org may forward, as the sharing service reads them: a read-only contract of
-- the sync service (docs/architecture.md, "Forwarding reads a view of sync"). Keep these
-- columns when the table behind it changes; sharing never writes here.
CREATE VIEW sync.shareable_records AS
    SELECT org_id, object, record_id, fields, private, version, last_modified_at
    FROM sync.records
    WHERE NOT deleted;
