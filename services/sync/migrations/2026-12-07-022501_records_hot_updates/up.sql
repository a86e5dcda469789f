-- A record's change rewrote an entry in both of its indexes: `records_modified` (org_id,
-- last_modified_at) changes with every write, so no update of a record could be HOT (a
-- heap-only tuple: the new row version on the same page, no new index entry). No query reads
-- that index: records are read by key and paged by record id. Dropped, and each page of records
-- keeps a tenth free, so that a record's next version usually fits beside the last.
DROP INDEX sync.records_modified;
ALTER TABLE sync.records SET (fillfactor = 90);
