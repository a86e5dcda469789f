use super::AppState;
use crate::schema::senders;
use crate::sender;
use axum::Json;
use axum::extract::State;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::validate;

/// The org's sender.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderSettings {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub from_name: String,
    /// Used as From only once an operator verified its domain for the org.
    #[schema(format = "email")]
    pub from_address: String,
}

/// The org's sender, and the headers its emails get today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SenderView {
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub domain_verified: bool,
    /// The From header emails get now.
    pub effective_from: String,
    /// The Reply-To header emails get now, if any.
    pub effective_reply_to: Option<String>,
}

async fn view(state: &AppState, org: shared::ids::OrgId) -> Result<SenderView, ApiError> {
    let mut conn = state.pool.get().await?;
    let org_sender = sender::load(&mut conn, org).await?;
    let effective = sender::choose(&state.default_from, org_sender.as_ref());
    // Before anything is saved, `load` gives the org's name with no address: nothing is set yet.
    let saved = org_sender.as_ref().filter(|s| !s.from_address.is_empty());
    Ok(SenderView {
        from_name: saved.map(|s| s.from_name.clone()),
        from_address: saved.map(|s| s.from_address.clone()),
        domain_verified: org_sender.as_ref().is_some_and(|s| s.domain_verified),
        effective_from: effective.from,
        effective_reply_to: effective.reply_to,
    })
}

/// The org's sender settings.
#[utoipa::path(get, path = "/v1/email-settings", operation_id = "get_email_settings", tag = "emails", security(("api_key" = [])),
    responses((status = 200, body = SenderView)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<SenderView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    Ok(Json(view(&state, principal.org_id).await?))
}

/// Set the org's From name and address.
#[utoipa::path(put, path = "/v1/email-settings", operation_id = "put_email_settings", tag = "emails", security(("api_key" = [])),
    request_body = SenderSettings,
    responses((status = 200, body = SenderView), (status = 422, body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(settings): ValidJson<SenderSettings>,
) -> Result<Json<SenderView>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let from_name = validate::text("from_name", &settings.from_name, 100)?;
    let from_address = validate::email("from_address", &settings.from_address)?;
    let row = (
        senders::org_id.eq(principal.org_id.as_uuid()),
        senders::from_name.eq(&from_name),
        senders::from_address.eq(&from_address),
        senders::updated_at.eq(chrono::Utc::now()),
    );
    let mut conn = state.pool.get().await?;
    diesel::insert_into(senders::table)
        .values(row)
        .on_conflict(senders::org_id)
        .do_update()
        .set(row)
        .execute(&mut conn)
        .await?;
    drop(conn);
    Ok(Json(view(&state, principal.org_id).await?))
}
