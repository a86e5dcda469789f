//! Reading connections and their history.

use super::AppState;
use super::access::visible_connection;
use crate::connection::{ConnectionRow, ConnectionView, Status};
use crate::history::{self, EntryView, Filter, Kind};
use crate::schema::connections;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidQuery, require_scope};
use shared::identity::Scope;
use shared::validate;

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
    let (row, side) = visible_connection(&mut conn, principal.org_id, id).await?;
    Ok(Json(row.view(side)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only connections with this status, as your org sees it.
    pub status: Option<Status>,
}

/// Your org's connections, on both sides (invitations sent and claimed), newest first.
#[utoipa::path(
    get,
    path = "/v1/connections",
    tag = "connections",
    params(ListQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = Vec<ConnectionView>),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`status` is not a status", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_connections(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let rows: Vec<ConnectionRow> = connections::table
        .filter(crate::connection::visible_to(org))
        .order((connections::invited_at.desc(), connections::id))
        .select(ConnectionRow::as_select())
        .load(&mut conn)
        .await?;
    let wanted = query.status.map(Status::as_str);
    let views = rows
        .into_iter()
        .filter_map(|row| row.side_of(org).map(|side| row.view(side)))
        .filter(|view| wanted.is_none_or(|s| view.status == s))
        .collect();
    Ok(Json(views))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only entries of this kind (`StatusChanged`, `EmailSent`, `RecordAcceptFailed`, ...).
    #[param(value_type = Option<String>, pattern = "^(StatusChanged|AccountChanged|ContactChanged|OwnerChanged|TemplateChanged|EmailSent|EmailFailed|PublishedFieldsChanged|RecordAcceptFailed|RecordAutoAcceptFailed|RecordUpdateFailed)$")]
    pub kind: Option<String>,
    /// Entries that occurred at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Entries that occurred before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Entries after this cursor (the `next_cursor` of the previous page).
    pub after: Option<i64>,
    /// Entries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl HistoryQuery {
    /// The filter, or a problem naming the parameter at fault.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        let kind = self
            .kind
            .as_deref()
            .map(|k| {
                Kind::parse(k).ok_or_else(|| {
                    let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                    ApiError::invalid_field("kind", format!("must be one of {}", known.join(", ")))
                })
            })
            .transpose()?;
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(ApiError::invalid_field("to", "must not be before `from`"));
        }
        Ok(Filter {
            kind,
            from: self.from,
            to: self.to,
            after: self.after,
        })
    }
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
    let filter = query.filter()?;
    let mut conn = state.pool.get().await?;
    visible_connection(&mut conn, principal.org_id, id).await?;
    let items = history::list(&mut conn, id, &filter, limit).await?;
    let next_cursor = if items.len() as i64 == limit {
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(HistoryPage { items, next_cursor }))
}
