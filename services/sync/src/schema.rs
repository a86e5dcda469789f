// The sync schema's tables, as diesel sees them (see migrations/).

diesel::table! {
    sync.object_schemas (org_id, object) {
        org_id -> Uuid,
        object -> Text,
        definition -> Jsonb,
        deleted -> Bool,
        schema_version -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sync.records (org_id, object, record_id) {
        org_id -> Uuid,
        object -> Text,
        record_id -> Text,
        owner -> Nullable<Text>,
        fields -> Jsonb,
        stamps -> Jsonb,
        version -> Int8,
        private -> Bool,
        deleted -> Bool,
        last_modified_by -> Jsonb,
        last_modified_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sync.record_lookups (org_id, object, record_id, field) {
        org_id -> Uuid,
        object -> Text,
        record_id -> Text,
        field -> Text,
        parent_object -> Text,
        parent_id -> Text,
    }
}

diesel::table! {
    sync.broker_users (org_id) {
        org_id -> Uuid,
        username -> Text,
        created_at -> Timestamptz,
        password_set_at -> Timestamptz,
    }
}
