DROP VIEW IF EXISTS sharing.connection_owners;
