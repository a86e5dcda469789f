//! `GET /v1/sync/ledger`: the org's field sync updates (sent or received), oldest first.

use super::AppState;
use crate::ledger::{self, Entry, Filter};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidQuery, require_scope};
use shared::identity::Scope;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Only updates over this connection.
    pub connection_id: Option<String>,
    /// Only updates of this record of the org (the sent record or the received copy).
    pub record_id: Option<String>,
    /// Only Failed updates.
    pub failed_only: Option<bool>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    pub entries: Vec<Entry>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next_after: Option<i64>,
}

/// The org's sync ledger: one entry per update sent or received over a link.
#[utoipa::path(
    get,
    path = "/v1/sync/ledger",
    tag = "sync",
    params(LedgerQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = LedgerPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "sync_ledger"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidQuery(query): ValidQuery<LedgerQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be 1 to 500"));
    }
    if query.after.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid_field("after", "must not be negative"));
    }
    let connection_id = match query.connection_id.as_deref() {
        None => None,
        Some(text) => Some(
            uuid::Uuid::parse_str(text)
                .map_err(|_| ApiError::invalid_field("connection_id", "must be a UUID"))?,
        ),
    };
    let record_id = query
        .record_id
        .as_deref()
        .map(|id| super::records::key("record_id", id))
        .transpose()?;
    let mut conn = state.pool.get().await?;
    let mut entries = ledger::list(
        &mut conn,
        &Filter {
            org: principal.org_id,
            connection_id,
            record_id: record_id.as_deref(),
            failed_only: query.failed_only.unwrap_or(false),
            after: query.after,
            limit: limit + 1,
        },
    )
    .await?;
    let more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(limit).unwrap_or(0));
    let next_after = more.then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(Json(LedgerPage {
        entries,
        next_after,
    }))
}
