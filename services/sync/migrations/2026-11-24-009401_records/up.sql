-- The sync service's record store, its read model of org schemas, and the org broker users.

-- The org's definitions of objects, from sharing's `sharing.object_schema_changed.v1` events.
-- A standard object without a row is as `shared::crm::standard` defines it.
CREATE TABLE sync.object_schemas (
    org_id uuid NOT NULL,
    object text NOT NULL,
    definition jsonb NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    -- The org's schema version this row is from; an older event is ignored.
    schema_version bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, object)
);

-- One row per record of an org (a deleted record stays as a tombstone: its version goes on).
CREATE TABLE sync.records (
    org_id uuid NOT NULL,
    object text NOT NULL,
    record_id text NOT NULL,
    -- The `OwnerId` field's value, where the record has one.
    owner text,
    -- Field API name -> value (canonical form, see shared::crm::values).
    fields jsonb NOT NULL DEFAULT '{}',
    -- Field API name -> {"stamp": HLC text, "origin": org id}: the version of each field.
    stamps jsonb NOT NULL DEFAULT '{}',
    -- 1 when created, +1 per change (deletion included).
    version bigint NOT NULL,
    private boolean NOT NULL DEFAULT false,
    deleted boolean NOT NULL DEFAULT false,
    -- Who made the last change (shared::message::events::sync::ChangedBy as JSON).
    last_modified_by jsonb NOT NULL,
    last_modified_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, object, record_id)
);

-- Paging an object's records in id order is the primary key; recent changes of an org:
CREATE INDEX records_modified ON sync.records (org_id, last_modified_at);

-- Lookup fields' values, so a parent finds its children (forwarding a record with its
-- children, the next issue). Written with the record.
CREATE TABLE sync.record_lookups (
    org_id uuid NOT NULL,
    object text NOT NULL,
    record_id text NOT NULL,
    field text NOT NULL,
    parent_object text NOT NULL,
    parent_id text NOT NULL,
    PRIMARY KEY (org_id, object, record_id, field)
);
CREATE INDEX record_lookups_parent ON sync.record_lookups (org_id, parent_object, parent_id);

-- Each org's RabbitMQ user (created by `partnernet org create`); the broker alone keeps its
-- password. The ingest consumer maps the broker-checked `user_id` to the org with it.
CREATE TABLE sync.broker_users (
    org_id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    password_set_at timestamptz NOT NULL DEFAULT now()
);
