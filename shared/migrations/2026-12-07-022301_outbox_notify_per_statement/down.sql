CREATE OR REPLACE FUNCTION messaging.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1347289090, hashtext(NEW.service));
    IF pg_try_advisory_lock_shared(1347289089, hashtext(NEW.service)) THEN
        PERFORM pg_advisory_unlock_shared(1347289089, hashtext(NEW.service));
        PERFORM pg_notify('partnernet_outbox', NEW.service);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER outbox_notify ON messaging.outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON messaging.outbox
    FOR EACH ROW EXECUTE FUNCTION messaging.notify_outbox();
DROP FUNCTION messaging.notify_outbox_written();
