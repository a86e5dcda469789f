//! `POST /v1/sync/ledger/replay`: the org's dead-lettered field sync updates (ledger Failed or
//! Retrying, the org receiving them) put back into the apply queue: one by update id, all of a
//! record (the org's copy), or all of a connection. The replayed update is applied as any other:
//! older than the copy, Superseded; applied now, Resolved.

use super::AppState;
use crate::replay::Selector;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// One update (its ledger `update_id`).
    pub update_id: Option<Uuid>,
    /// Every failed update of this copy of the org.
    pub record_id: Option<String>,
    /// Every failed update over this connection.
    pub connection_id: Option<Uuid>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayResult {
    /// How many dead letters went back to the queue.
    pub replayed: usize,
}

/// Replays the org's dead-lettered field sync updates.
#[utoipa::path(
    post,
    path = "/v1/sync/ledger/replay",
    tag = "sync",
    request_body = ReplayRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = ReplayResult),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "sync_ledger_replay"
)]
pub async fn replay(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<ReplayRequest>,
) -> Result<Json<ReplayResult>, ApiError> {
    require_scope(&principal, Scope::WriteRecords)?;
    let given = [
        request.update_id.is_some(),
        request.record_id.is_some(),
        request.connection_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::invalid_field(
            "update_id",
            "give exactly one of update_id, record_id, connection_id",
        ));
    }
    let selector = match (request.update_id, request.record_id, request.connection_id) {
        (Some(id), _, _) => Selector::Update(id),
        (_, Some(id), _) => Selector::Record(super::records::key("record_id", &id)?),
        (_, _, Some(id)) => Selector::Connection(id),
        _ => return Err(ApiError::invalid_field("update_id", "is required")),
    };
    let replayed = crate::replay::replay(
        &state.pool,
        &state.amqp_url,
        &state.topology,
        principal.org_id,
        &selector,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(ReplayResult { replayed }))
}
