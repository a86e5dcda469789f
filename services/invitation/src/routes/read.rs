use super::AppState;
use crate::connection::{ConnectionRow, ConnectionView};
use crate::history::{self, EntryView};
use crate::schema::connections;
use axum::Json;
use axum::extract::{Path, State};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidQuery, require_scope};
use shared::identity::Scope;
use shared::ids::OrgId;
use shared::validate;
use uuid::Uuid;

/// The connection, if `org` is one of its two sides. Anything else is "not found".
pub(crate) async fn visible_connection(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
) -> Result<ConnectionRow, ApiError> {
    connections::table
        .filter(connections::id.eq(id))
        .filter(
            connections::org_id
                .eq(org.as_uuid())
                .or(connections::partner_org_id.eq(org.as_uuid())),
        )
        .select(ConnectionRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("connection"))
}

/// One connection.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}",
    tag = "connections",
    params(("id" = Uuid, Path, description = "The connection's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ConnectionView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or not one of yours", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_connection(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    let mut conn = state.pool.get().await?;
    let row = visible_connection(&mut conn, principal.org_id, id).await?;
    Ok(Json(row.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Entries after this cursor (the `next_cursor` of the previous page).
    pub after: Option<i64>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// A page of a connection's history, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub items: Vec<EntryView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// A connection's history.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/history",
    tag = "connections",
    params(("id" = Uuid, Path, description = "The connection's id"), HistoryQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = HistoryPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidQuery(query): ValidQuery<HistoryQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 200",
        ));
    }
    let mut conn = state.pool.get().await?;
    visible_connection(&mut conn, principal.org_id, id).await?;
    let items = history::list(&mut conn, id, query.after, limit).await?;
    let next_cursor = if items.len() as i64 == limit {
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(HistoryPage { items, next_cursor }))
}
