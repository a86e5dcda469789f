//! The notification service's tables (schema `notification`).

diesel::table! {
    notification.emails (id) {
        id -> Uuid,
        org_id -> Uuid,
        connection_id -> Nullable<Uuid>,
        kind -> Text,
        recipient -> Text,
        from_header -> Text,
        reply_to -> Nullable<Text>,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        source_message_id -> Uuid,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        lease_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notification.templates (org_id, kind) {
        org_id -> Uuid,
        kind -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification.senders (org_id) {
        org_id -> Uuid,
        from_name -> Text,
        from_address -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification.verified_domains (org_id, domain) {
        org_id -> Uuid,
        domain -> Text,
        verified_at -> Timestamptz,
    }
}

diesel::table! {
    notification.digest_items (id) {
        id -> Int8,
        org_id -> Uuid,
        connection_id -> Uuid,
        owner_name -> Text,
        owner_email -> Text,
        object -> Text,
        record_id -> Text,
        record_name -> Text,
        error -> Text,
        attempts -> Int4,
        failed_at -> Timestamptz,
        received_at -> Timestamptz,
        email_id -> Nullable<Uuid>,
        failed_reason -> Nullable<Text>,
    }
}
