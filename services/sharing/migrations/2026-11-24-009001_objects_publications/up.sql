-- What an org can share and what crosses each connection: object schemas, publications,
-- subscriptions with their field mappings, and connection templates.

-- Read model of the invitation service's connections (from its events).
CREATE TABLE sharing.connections (
    id               UUID PRIMARY KEY,
    inviter_org_id   UUID        NOT NULL,
    inviter_org_name TEXT        NOT NULL,
    -- Known once the invitation is accepted.
    invitee_org_id   UUID,
    invitee_org_name TEXT,
    -- invited | accepted | declined | cancelled | inactive
    status           TEXT        NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX connections_by_inviter ON sharing.connections (inviter_org_id);
CREATE INDEX connections_by_invitee ON sharing.connections (invitee_org_id);

-- An org's own definitions: its custom objects, and the standard objects it added custom
-- fields to. `definition` is the whole `shared::crm::ObjectDef` (standard fields included).
CREATE TABLE sharing.object_definitions (
    org_id      UUID        NOT NULL,
    api_name    TEXT        NOT NULL,
    custom      BOOLEAN     NOT NULL,
    definition  JSONB       NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, api_name)
);

-- One counter per org, raised by every schema change (carried as `schema_version`).
CREATE TABLE sharing.schema_versions (
    org_id   UUID PRIMARY KEY,
    version  BIGINT NOT NULL
);

-- What `org_id` publishes to a connection: per object, its fields.
CREATE TABLE sharing.published_objects (
    connection_id UUID        NOT NULL REFERENCES sharing.connections (id),
    org_id        UUID        NOT NULL,
    object        TEXT        NOT NULL,
    fields        TEXT[]      NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, org_id, object)
);

-- What `org_id` subscribes to of its partner's publications on a connection, and the object
-- of its own each is mapped to.
CREATE TABLE sharing.subscriptions (
    connection_id UUID        NOT NULL REFERENCES sharing.connections (id),
    org_id        UUID        NOT NULL,
    -- The partner's published object.
    object        TEXT        NOT NULL,
    -- The subscriber's own object it is mapped to.
    target_object TEXT        NOT NULL,
    auto_accept   BOOLEAN     NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, org_id, object)
);

-- Per subscribed object, each published field's target field (NULL: left unmapped), the
-- picklist value map, and why the mapping no longer works when the partner stopped
-- publishing the field.
CREATE TABLE sharing.field_mappings (
    connection_id   UUID  NOT NULL,
    org_id          UUID  NOT NULL,
    object          TEXT  NOT NULL,
    field           TEXT  NOT NULL,
    target_field    TEXT,
    picklist_values JSONB NOT NULL DEFAULT '{}',
    problem         TEXT,
    PRIMARY KEY (connection_id, org_id, object, field),
    FOREIGN KEY (connection_id, org_id, object)
        REFERENCES sharing.subscriptions (connection_id, org_id, object) ON DELETE CASCADE
);

CREATE TABLE sharing.connection_templates (
    id          UUID PRIMARY KEY,
    org_id      UUID        NOT NULL,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL DEFAULT '',
    active      BOOLEAN     NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE sharing.template_objects (
    template_id UUID   NOT NULL REFERENCES sharing.connection_templates (id) ON DELETE CASCADE,
    object      TEXT   NOT NULL,
    fields      TEXT[] NOT NULL,
    PRIMARY KEY (template_id, object)
);
