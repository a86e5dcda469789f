DROP TABLE identity.web_sessions;
DROP TABLE identity.sign_in_tokens;
ALTER TABLE identity.users DROP COLUMN scopes;
