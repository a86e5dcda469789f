-- Email lease: a delivery worker claims due emails and commits ('sending', lease_until) before it
-- talks to the SMTP server, then records the outcome in a second transaction. A crash re-sends
-- only emails whose lease expires unrecorded (see docs/architecture.md, "Emails").
ALTER TABLE notification.emails DROP CONSTRAINT emails_status_check;
ALTER TABLE notification.emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'failed'));
ALTER TABLE notification.emails ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX emails_leased ON notification.emails (lease_until) WHERE status = 'sending';

-- A digest item whose digest cannot be queued for good (e.g. an owner address no mailer
-- accepts) is set aside with the reason, alone, instead of blocking every other digest.
ALTER TABLE notification.digest_items ADD COLUMN failed_reason TEXT;
