-- Retrying: an attempt failed for a passing reason and the update waits in a retry queue;
-- Resolved: a later attempt applied it.
ALTER TABLE sync.ledger DROP CONSTRAINT ledger_state_check;
ALTER TABLE sync.ledger ADD CONSTRAINT ledger_state_check CHECK (state IN
    ('Queued', 'Retrying', 'Applied', 'Resolved', 'Superseded', 'Failed'));
