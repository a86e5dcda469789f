//! `POST /v1/sync/ledger/replay`: the org's dead-lettered field sync updates (ledger Failed or
//! Retrying, the org receiving them) put back into the apply queue: one by update id, all of a
//! record (the org's copy), or all of a connection. The replayed update is applied as any other:
//! older than the copy, Superseded; applied now, Resolved.

use super::AppState;
use crate::ledger::{self, Filter};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::amqp::dead_letters;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use std::collections::HashSet;
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
    let record_id = request
        .record_id
        .as_deref()
        .map(|id| super::records::key("record_id", id))
        .transpose()?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let rows = ledger::list(
        &mut conn,
        &Filter {
            org,
            connection_id: request.connection_id,
            record_id: record_id.as_deref(),
            failed_only: false,
            after: None,
            limit: 10_000,
        },
    )
    .await?;
    drop(conn);
    let wanted: HashSet<Uuid> = rows
        .into_iter()
        .filter(|e| e.receiver_org_id == org.as_uuid())
        .filter(|e| e.state == "Failed" || e.state == "Retrying")
        .filter(|e| request.update_id.is_none_or(|id| id == e.update_id))
        .map(|e| e.update_id)
        .collect();
    if wanted.is_empty() {
        return Ok(Json(ReplayResult { replayed: 0 }));
    }
    // A dead letter is the org's update if its envelope is addressed to the org and its
    // update id is one of the org's failed ones.
    let pick = |body: &[u8]| {
        let Ok(envelope) = serde_json::from_slice::<serde_json::Value>(body) else {
            return false;
        };
        let update = envelope["payload"]["update_id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok());
        envelope["org_id"].as_str() == Some(&org.as_uuid().to_string())
            && update.is_some_and(|id| wanted.contains(&id))
    };
    let replayed = dead_letters::replay_where(
        &state.amqp_url,
        &state.topology,
        crate::NAME,
        wanted.len(),
        pick,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(ReplayResult { replayed }))
}
