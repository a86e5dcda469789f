-- A ledger row is written twice: inserted Queued by the sender's propagation, then moved
-- (Applied, Superseded, Failed) by the receiver's apply a few milliseconds later. With full pages
-- the second version rarely fitted beside the first (5-7 % of them did), so each move wrote a
-- new entry in all four of the ledger's indexes. Half of each page is left for that second
-- version, so that the move is a HOT update (same page, no index entry).
ALTER TABLE sync.ledger SET (fillfactor = 50);
