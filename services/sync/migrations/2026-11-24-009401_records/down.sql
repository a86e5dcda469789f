DROP TABLE sync.broker_users;
DROP TABLE sync.record_lookups;
DROP TABLE sync.records;
DROP TABLE sync.object_schemas;
