DROP VIEW sync.shareable_records;
