ALTER TABLE sync.ledger DROP COLUMN kind;
ALTER TABLE sync.records DROP COLUMN record_stamp;
ALTER TABLE sync.subscription_mappings DROP COLUMN sync_deletes;
