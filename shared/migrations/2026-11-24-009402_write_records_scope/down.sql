UPDATE identity.api_keys SET scopes = array_remove(scopes, 'write_records');
