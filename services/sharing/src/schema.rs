// The sharing schema's tables, as diesel sees them (see migrations/).

diesel::table! {
    sharing.connections (id) {
        id -> Uuid,
        inviter_org_id -> Uuid,
        inviter_org_name -> Text,
        invitee_org_id -> Nullable<Uuid>,
        invitee_org_name -> Nullable<Text>,
        status -> Text,
        updated_at -> Timestamptz,
        inviter_recipient_name -> Nullable<Text>,
        inviter_recipient_email -> Nullable<Text>,
        invitee_recipient_name -> Nullable<Text>,
        invitee_recipient_email -> Nullable<Text>,
    }
}

diesel::table! {
    sharing.object_definitions (org_id, api_name) {
        org_id -> Uuid,
        api_name -> Text,
        custom -> Bool,
        definition -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.schema_versions (org_id) {
        org_id -> Uuid,
        version -> Int8,
    }
}

diesel::table! {
    sharing.published_objects (connection_id, org_id, object) {
        connection_id -> Uuid,
        org_id -> Uuid,
        object -> Text,
        fields -> Array<Text>,
        published_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.subscriptions (connection_id, org_id, object) {
        connection_id -> Uuid,
        org_id -> Uuid,
        object -> Text,
        target_object -> Text,
        auto_accept -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.field_mappings (connection_id, org_id, object, field) {
        connection_id -> Uuid,
        org_id -> Uuid,
        object -> Text,
        field -> Text,
        target_field -> Nullable<Text>,
        picklist_values -> Jsonb,
        problem -> Nullable<Text>,
    }
}

diesel::table! {
    sharing.connection_templates (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        description -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.template_objects (template_id, object) {
        template_id -> Uuid,
        object -> Text,
        fields -> Array<Text>,
    }
}

diesel::table! {
    sharing.template_applications (connection_id, org_id) {
        connection_id -> Uuid,
        org_id -> Uuid,
        template_id -> Uuid,
        outcome -> Text,
        error -> Nullable<Text>,
        applied_at -> Timestamptz,
    }
}

diesel::joinable!(published_objects -> connections (connection_id));
diesel::joinable!(subscriptions -> connections (connection_id));
diesel::joinable!(template_objects -> connection_templates (template_id));

diesel::allow_tables_to_appear_in_same_query!(
    connections,
    object_definitions,
    schema_versions,
    published_objects,
    subscriptions,
    field_mappings,
    connection_templates,
    template_objects,
    template_applications,
);
