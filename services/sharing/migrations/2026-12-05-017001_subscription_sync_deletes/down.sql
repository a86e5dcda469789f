DROP VIEW sharing.synced_links_deleted;
ALTER TABLE sharing.subscriptions DROP COLUMN sync_deletes;
