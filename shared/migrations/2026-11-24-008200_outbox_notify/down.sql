DROP TRIGGER outbox_notify ON messaging.outbox;
DROP FUNCTION messaging.notify_outbox();
