UPDATE sync.ledger SET state = 'Queued' WHERE state = 'Retrying';
UPDATE sync.ledger SET state = 'Applied' WHERE state = 'Resolved';
ALTER TABLE sync.ledger DROP CONSTRAINT ledger_state_check;
ALTER TABLE sync.ledger ADD CONSTRAINT ledger_state_check CHECK (state IN
    ('Queued', 'Applied', 'Superseded', 'Failed'));
