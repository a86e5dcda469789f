ALTER TABLE sync.records RESET (fillfactor);
CREATE INDEX records_modified ON sync.records (org_id, last_modified_at);
