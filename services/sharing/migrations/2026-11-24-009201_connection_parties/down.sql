DROP INDEX sharing.connection_templates_by_org;
DROP INDEX sharing.published_objects_by_org_object;
DROP TABLE sharing.template_applications;
ALTER TABLE sharing.connections
    DROP COLUMN inviter_recipient_name,
    DROP COLUMN inviter_recipient_email,
    DROP COLUMN invitee_recipient_name,
    DROP COLUMN invitee_recipient_email;
