//! The `identity` tables of web sign-in and sessions (migration `2026-12-06-021001_web_sessions`).

diesel::table! {
    identity.sign_in_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    identity.web_sessions (id) {
        id -> Uuid,
        token_hash -> Bytea,
        user_id -> Uuid,
        org_id -> Uuid,
        csrf_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

use crate::identity::{orgs, users};

diesel::joinable!(web_sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(web_sessions, users, orgs);
diesel::allow_tables_to_appear_in_same_query!(sign_in_tokens, users);
