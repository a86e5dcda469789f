-- The `admin` scope now guards users and API keys. Keys that held every scope before it existed
-- (each org's `default` key, and any made like it) could already manage them: they keep that
-- power. Keys with fewer scopes lose it, which is the point of the scope.
UPDATE identity.api_keys
SET scopes = array_append(scopes, 'admin')
WHERE scopes @> ARRAY['manage_connections', 'forward', 'accept', 'read']
  AND NOT scopes @> ARRAY['admin'];
