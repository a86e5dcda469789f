-- Record-level events of field sync (docs/architecture.md, "Field sync"):
-- the read model keeps whether a subscription takes deletes;
ALTER TABLE sync.subscription_mappings ADD COLUMN sync_deletes boolean NOT NULL DEFAULT false;
-- a record keeps the stamp and origin ({"stamp", "origin"}) of its last record-level event, a
-- touch or its delete, which orders a partner's touch or tombstone against it;
ALTER TABLE sync.records ADD COLUMN record_stamp jsonb;
-- the ledger says what each row carried: field values, a delete or a touch.
ALTER TABLE sync.ledger ADD COLUMN kind text NOT NULL DEFAULT 'update'
    CHECK (kind IN ('update', 'delete', 'touch'));
