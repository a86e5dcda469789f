DROP TABLE sharing.inbox;
DROP TABLE sharing.record_links;
