DROP VIEW IF EXISTS sharing.synced_links;
