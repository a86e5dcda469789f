ALTER TABLE sync.ledger RESET (fillfactor);
