-- Web pages: users get scopes of their own (a page acts with the signed-in user's scopes, as an
-- API key acts with its own), single-use sign-in links, and browser sessions.

-- Existing users get every scope, so no one loses what they could do; a user created from now
-- on gets what its creator asks, by default every scope but `admin` (the column default).
ALTER TABLE identity.users
    ADD COLUMN scopes text[] NOT NULL
        DEFAULT ARRAY['manage_connections', 'forward', 'accept', 'read', 'admin', 'write_records'];
ALTER TABLE identity.users
    ALTER COLUMN scopes SET DEFAULT ARRAY['manage_connections', 'forward', 'accept', 'read', 'write_records'];

-- A sign-in link's token: only its SHA-256 is stored; it works once, until it expires.
CREATE TABLE identity.sign_in_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES identity.users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX sign_in_tokens_by_expiry ON identity.sign_in_tokens (expires_at);

-- A browser session: the cookie holds the token, the table its SHA-256.
CREATE TABLE identity.web_sessions (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES identity.users (id),
    org_id uuid NOT NULL REFERENCES identity.orgs (id),
    -- SHA-256 of the session's CSRF token (the token itself is derived from the session token).
    csrf_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX web_sessions_by_expiry ON identity.web_sessions (expires_at);
