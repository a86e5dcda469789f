//! `/v1/sharing/settings`: the org's sharing settings, its currency (opportunity products
//! travel only between orgs that use the same one). Read with `read`, change with `admin`.

use super::AppState;
use crate::org_settings;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;

/// The org's sharing settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// ISO 4217 code; `USD` until set.
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
}

/// A change of the settings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// A three-letter ISO 4217 code (`EUR`); lower case is taken as upper.
    #[schema(pattern = "^[A-Za-z]{3}$", example = "EUR")]
    pub currency: String,
}

/// The org's sharing settings.
#[utoipa::path(
    get,
    path = "/v1/sharing/settings",
    tag = "record sharing",
    security(("api_key" = [])),
    responses(
        (status = 200, body = Settings),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "sharing_settings_get"
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Settings>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let currency = org_settings::currency(&mut conn, principal.org_id).await?;
    Ok(Json(Settings { currency }))
}

/// Change the org's sharing settings.
#[utoipa::path(
    put,
    path = "/v1/sharing/settings",
    tag = "record sharing",
    request_body = SettingsChange,
    security(("api_key" = [])),
    responses(
        (status = 200, body = Settings),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "sharing_settings_put"
)]
pub async fn put(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(change): ValidJson<SettingsChange>,
) -> Result<Json<Settings>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let currency = org_settings::checked_currency("currency", &change.currency)?;
    let mut conn = state.pool.get().await?;
    org_settings::set_currency(&mut conn, principal.org_id, &currency).await?;
    Ok(Json(Settings { currency }))
}
