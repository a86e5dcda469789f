//! The invitation service's tables (schema `invitation`).

diesel::table! {
    invitation.connections (id) {
        id -> Uuid,
        org_id -> Uuid,
        partner_org_id -> Nullable<Uuid>,
        status -> Text,
        contact_name -> Text,
        contact_email -> Text,
        account_name -> Nullable<Text>,
        owner_user_id -> Nullable<Uuid>,
        template_id -> Nullable<Uuid>,
        invited_at -> Timestamptz,
        response_date -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        partner_owner_user_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    invitation.tokens (token_hash) {
        token_hash -> Bytea,
        connection_id -> Uuid,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invitation.history (id) {
        id -> Int8,
        connection_id -> Uuid,
        kind -> Text,
        summary -> Text,
        detail -> Jsonb,
        occurred_at -> Timestamptz,
        source_message_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    /// Read model of the sharing service's connection templates (from its events).
    invitation.connection_templates (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        updated_at -> Timestamptz,
        active -> Bool,
        changed_at -> Timestamptz,
    }
}

diesel::joinable!(tokens -> connections (connection_id));
diesel::joinable!(history -> connections (connection_id));
diesel::allow_tables_to_appear_in_same_query!(connections, tokens, history);
