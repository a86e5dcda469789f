DROP TABLE IF EXISTS sync.ledger;
