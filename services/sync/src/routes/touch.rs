//! `POST /v1/records/{object}/{id}/touch`: save a record without changing a value.
//!
//! In S2S a save with no change still syncs: the partner's copy then shows it last modified by
//! the Connection User at the new time. A PATCH or PUT of the values a record already holds is
//! no change here (no version, nothing published: re-imports and retries stay free), so a save
//! that should count is asked for explicitly: a new version, the record's last-modified now,
//! a `record.changed.v1` with `touched` and no fields, and field sync carries it to the copies.

use super::AppState;
use super::records::{RecordView, key, writer};
use crate::store::read;
use axum::Json;
use axum::extract::{Path, State};
use diesel_async::AsyncConnection;
use shared::http::{ApiError, Auth, require_scope};
use shared::identity::Scope;
use shared::message::events::sync::ChangeSource;

/// Save a record without changing a value: a new version and last-modified, synced to copies.
#[utoipa::path(
    post,
    path = "/v1/records/{object}/{id}/touch",
    tag = "records",
    params(
        ("object" = String, Path, description = "The object's API name"),
        ("id" = String, Path, description = "The record's id"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Touched: the record with its new version", body = RecordView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `write_records`", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown object", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_touch"
)]
pub async fn touch(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, id)): Path<(String, String)>,
) -> Result<Json<RecordView>, ApiError> {
    require_scope(&principal, Scope::WriteRecords)?;
    let (object, id) = (key("object", &object)?, key("id", &id)?);
    let mut conn = state.pool.get().await?;
    let writer = writer(&state, &principal, ChangeSource::Http);
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            writer
                .touch(conn, &object, &id, None)
                .await
                .map_err(|e| e.into_api_error())?;
            read::one(conn, principal.org_id, &object, &id, false)
                .await?
                .ok_or_else(|| ApiError::not_found("record"))
        })
        .await?;
    Ok(Json(row.into()))
}
