-- Deletes beyond S2S: a subscription may take the partner's deletes (a tombstone deletes the
-- copy). Off by default: without it a deleted record only ends the link, as in S2S.
ALTER TABLE sharing.subscriptions ADD COLUMN sync_deletes boolean NOT NULL DEFAULT false;

-- The links a record's delete ended, as the sync service reads them to send its tombstones
-- (docs/architecture.md, "Field sync"): sharing ends a deleted record's links from the same
-- change sync propagates, and may do so first, so sync finds them by that change's end date.
-- A read-only contract like `sharing.synced_links`.
CREATE VIEW sharing.synced_links_deleted AS
    SELECT l.id, l.org_id, l.connection_id, l.object, l.local_record_id,
           l.partner_object, l.partner_record_id,
           CASE WHEN c.inviter_org_id = l.org_id THEN c.invitee_org_id
                ELSE c.inviter_org_id END AS partner_org_id,
           l.end_date
    FROM sharing.record_links l
    JOIN sharing.connections c ON c.id = l.connection_id
    WHERE l.status = 'Inactive (deleted)'
      AND l.partner_object IS NOT NULL
      AND l.partner_record_id IS NOT NULL
      AND c.status = 'accepted';
