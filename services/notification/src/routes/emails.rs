use super::AppState;
use crate::schema::emails;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidQuery, require_scope};
use shared::identity::Scope;
use uuid::Uuid;

/// An email and where it stands.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = emails)]
pub struct EmailView {
    pub id: Uuid,
    pub connection_id: Option<Uuid>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// `queued`, `sending` (a worker holds it while the SMTP server answers), `retrying`, `sent`
    /// or `failed`.
    pub status: String,
    pub attempts: i32,
    /// The SMTP server's last answer, when it refused.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// Only emails in this status.
    #[param(pattern = "^(queued|sending|retrying|sent|failed)$")]
    pub status: Option<String>,
    /// Emails created before this one (the `next_cursor` of the previous page).
    pub before: Option<Uuid>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailPage {
    pub items: Vec<EmailView>,
    pub next_cursor: Option<Uuid>,
}

/// The org's emails, newest first.
#[utoipa::path(get, path = "/v1/emails", operation_id = "list_emails", tag = "emails", security(("api_key" = [])), params(EmailQuery),
    responses((status = 200, body = EmailPage), (status = 422, body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidQuery(query): ValidQuery<EmailQuery>,
) -> Result<Json<EmailPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 200",
        ));
    }
    if let Some(status) = &query.status
        && !["queued", "sending", "retrying", "sent", "failed"].contains(&status.as_str())
    {
        return Err(ApiError::invalid_field(
            "status",
            "must be one of queued, retrying, sent, failed",
        ));
    }
    let mut select = emails::table
        .filter(emails::org_id.eq(principal.org_id.as_uuid()))
        .order(emails::id.desc())
        .limit(limit)
        .select(EmailView::as_select())
        .into_boxed();
    if let Some(status) = &query.status {
        select = select.filter(emails::status.eq(status.clone()));
    }
    if let Some(before) = query.before {
        select = select.filter(emails::id.lt(before));
    }
    let mut conn = state.pool.get().await?;
    let items: Vec<EmailView> = select.load(&mut conn).await?;
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|e| e.id))
        .flatten();
    Ok(Json(EmailPage { items, next_cursor }))
}
