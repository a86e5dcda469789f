DROP TABLE identity.queue_members;
DROP TABLE identity.queues;
ALTER TABLE identity.users DROP COLUMN role_id;
DROP TABLE identity.roles;
