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
        sync_deletes -> Bool,
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

diesel::table! {
    sharing.record_links (id) {
        id -> Uuid,
        org_id -> Uuid,
        connection_id -> Uuid,
        direction -> Text,
        object -> Text,
        local_record_id -> Text,
        partner_object -> Nullable<Text>,
        partner_record_id -> Nullable<Text>,
        parent_record_id -> Nullable<Text>,
        related_records -> Jsonb,
        send_closed_tasks -> Bool,
        send_open_tasks -> Bool,
        send_emails -> Bool,
        start_date -> Nullable<Timestamptz>,
        end_date -> Nullable<Timestamptz>,
        status -> Text,
        forwarded_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.inbox (id) {
        id -> Uuid,
        org_id -> Uuid,
        connection_id -> Uuid,
        sender_link_id -> Uuid,
        partner_object -> Text,
        partner_record_id -> Text,
        name -> Text,
        object -> Text,
        fields -> Jsonb,
        send_closed_tasks -> Bool,
        send_open_tasks -> Bool,
        send_emails -> Bool,
        state -> Text,
        mode -> Nullable<Text>,
        assign_to -> Nullable<Uuid>,
        relate_to -> Nullable<Text>,
        error -> Nullable<Text>,
        arrived_at -> Timestamptz,
        parent_object -> Nullable<Text>,
        parent_record_id -> Nullable<Text>,
        parent_lookup -> Nullable<Text>,
        sender_currency -> Nullable<Text>,
    }
}

diesel::table! {
    sharing.org_settings (org_id) {
        org_id -> Uuid,
        currency -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sharing.receiver_errors (link_id) {
        link_id -> Uuid,
        error -> Text,
        reported_at -> Timestamptz,
    }
}

// The sync service's read-only view of the records an org may forward (a documented contract,
// see docs/architecture.md): read here, never written.
diesel::table! {
    sync.shareable_records (org_id, object, record_id) {
        org_id -> Uuid,
        object -> Text,
        record_id -> Text,
        fields -> Jsonb,
        private -> Bool,
        version -> Int8,
        last_modified_at -> Timestamptz,
        owner -> Nullable<Text>,
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
    record_links,
    inbox,
    org_settings,
);
