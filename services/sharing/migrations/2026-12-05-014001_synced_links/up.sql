-- The links field sync sends over, as the sync service reads them: a read-only contract of the
-- sharing service (docs/architecture.md, "Field sync"). Only active links of accepted
-- connections, with the partner org; sync never writes here.
CREATE VIEW sharing.synced_links AS
    SELECT l.id, l.org_id, l.connection_id, l.object, l.local_record_id,
           l.partner_object, l.partner_record_id,
           CASE WHEN c.inviter_org_id = l.org_id THEN c.invitee_org_id
                ELSE c.inviter_org_id END AS partner_org_id
    FROM sharing.record_links l
    JOIN sharing.connections c ON c.id = l.connection_id
    WHERE l.status IN ('Active (sent)', 'Active (received)')
      AND l.partner_object IS NOT NULL
      AND l.partner_record_id IS NOT NULL
      AND c.status = 'accepted';
