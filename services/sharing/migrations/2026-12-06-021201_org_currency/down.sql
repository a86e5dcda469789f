ALTER TABLE sharing.inbox DROP COLUMN sender_currency;
DROP TABLE sharing.org_settings;
