DROP VIEW sync.shareable_records;
CREATE VIEW sync.shareable_records AS
    SELECT org_id, object, record_id, fields, private, version, last_modified_at
    FROM sync.records
    WHERE NOT deleted;
