-- The relay is woken by NOTIFY only while it is idle. A transaction that queued a notification
-- takes, at COMMIT, one lock shared by the whole cluster and holds it through its WAL flush, so
-- under load every writer of the outbox committed one after another (86% of a backend's waits
-- in the field-sync benchmark). While the relay is busy it polls, holds the service's busy lock
-- (class 1347289089, key hashtext(service)) and writers skip the notification.
--
-- Every writer also holds the service's writers lock (class 1347289090) until it ends, so that
-- a relay going idle can wait for the writers that saw it busy (see shared/src/outbox/idle.rs).
CREATE OR REPLACE FUNCTION messaging.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1347289090, hashtext(NEW.service));
    -- A probe: taken only when the relay does not hold the busy lock, and given back at once.
    IF pg_try_advisory_lock_shared(1347289089, hashtext(NEW.service)) THEN
        PERFORM pg_advisory_unlock_shared(1347289089, hashtext(NEW.service));
        PERFORM pg_notify('partnernet_outbox', NEW.service);
    END IF;
    RETURN NULL;
END;
$$;
