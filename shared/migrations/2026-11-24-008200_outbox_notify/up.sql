-- The relay is woken by NOTIFY instead of polling: one notification per committing transaction
-- and service (PostgreSQL folds identical notifications of one transaction into one).
CREATE FUNCTION messaging.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('partnernet_outbox', NEW.service);
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON messaging.outbox
    FOR EACH ROW EXECUTE FUNCTION messaging.notify_outbox();
