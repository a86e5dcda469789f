DROP VIEW IF EXISTS sharing.connection_owners;
-- Each side's connection owner, as sharing's connections read model knows it: the inviter's
-- owner from the answer, the invitee's invited contact from the invitation. A read-only
-- contract of the sharing service (docs/architecture.md, "Field sync"): sync names the owner
-- in `sync.update_failed.v1`. A side whose owner is not known yet has no row.
CREATE VIEW sharing.connection_owners AS
    SELECT c.id AS connection_id, c.inviter_org_id AS org_id,
           c.inviter_recipient_name AS owner_name, c.inviter_recipient_email AS owner_email
    FROM sharing.connections c
    WHERE c.inviter_recipient_email IS NOT NULL
    UNION ALL
    SELECT c.id, c.invitee_org_id, c.invitee_recipient_name, c.invitee_recipient_email
    FROM sharing.connections c
    WHERE c.invitee_recipient_email IS NOT NULL;
