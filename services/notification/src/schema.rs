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
    }
}
