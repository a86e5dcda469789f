ALTER TABLE notification.digest_items DROP COLUMN failed_reason;
DROP INDEX notification.emails_leased;
ALTER TABLE notification.emails DROP COLUMN lease_until;
UPDATE notification.emails SET status = 'queued' WHERE status = 'sending';
ALTER TABLE notification.emails DROP CONSTRAINT emails_status_check;
ALTER TABLE notification.emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('queued', 'retrying', 'sent', 'failed'));
