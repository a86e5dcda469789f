-- When the update's failure was reported (sync.update_failed.v1): set in the transaction that
-- queues the report, so that a redelivered update that fails again is not reported twice.
-- A replay clears it: a replayed update that fails again is a new failure.
ALTER TABLE sync.ledger ADD COLUMN failure_reported_at TIMESTAMPTZ;
