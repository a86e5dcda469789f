CREATE OR REPLACE FUNCTION messaging.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('partnernet_outbox', NEW.service);
    RETURN NULL;
END;
$$;
