-- Organizations (tenants), their users and their API keys. Read by every service to
-- authenticate requests; written by the CLI and the org's own admin routes.
CREATE SCHEMA IF NOT EXISTS identity;

CREATE TABLE identity.orgs (
    id          UUID PRIMARY KEY,
    name        TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE identity.users (
    id                 UUID PRIMARY KEY,
    org_id             UUID        NOT NULL REFERENCES identity.orgs (id),
    name               TEXT        NOT NULL,
    email              TEXT        NOT NULL,
    active             BOOLEAN     NOT NULL DEFAULT true,
    -- The identity that writes partner changes into the org; one per org.
    is_connection_user BOOLEAN     NOT NULL DEFAULT false,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX one_connection_user_per_org ON identity.users (org_id) WHERE is_connection_user;

CREATE TABLE identity.api_keys (
    id          UUID PRIMARY KEY,
    org_id      UUID        NOT NULL REFERENCES identity.orgs (id),
    name        TEXT        NOT NULL,
    -- SHA-256 of the key; the key itself is shown once and never stored.
    key_hash    BYTEA       NOT NULL UNIQUE,
    scopes      TEXT[]      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
