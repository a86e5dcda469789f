ALTER TABLE sync.ledger DROP COLUMN failure_reported_at;
