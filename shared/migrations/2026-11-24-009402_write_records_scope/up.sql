-- The `write_records` scope now guards writing records over HTTP. Keys that held every scope
-- before it existed (those `partnernet org create` made) get it too.
UPDATE identity.api_keys
SET scopes = array_append(scopes, 'write_records')
WHERE scopes @> ARRAY['manage_connections', 'forward', 'accept', 'read', 'admin']
  AND NOT scopes @> ARRAY['write_records'];
