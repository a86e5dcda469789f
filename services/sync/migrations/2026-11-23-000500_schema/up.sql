-- The sync service's schema; its tables come with the issues that build the service.
CREATE SCHEMA IF NOT EXISTS sync;
