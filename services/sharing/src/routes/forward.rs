//! `POST /v1/sharing/forward` (`forward` scope): forward records to connections, or ask what a
//! forward would do (`dry_run`). A result per record and connection; a connection that is not
//! yours gets 404 for the whole request and nothing is sent.

use super::AppState;
use crate::links::forward::{self, ForwardError, ForwardRequest, ForwardResult};
use axum::Json;
use axum::extract::State;
use diesel_async::AsyncConnection;
use serde::Serialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;

impl From<ForwardError> for ApiError {
    fn from(err: ForwardError) -> Self {
        match err {
            ForwardError::Invalid(invalid) => invalid.into(),
            ForwardError::NoConnection(field) => {
                ApiError::not_found(&format!("connection ({field})"))
            }
            ForwardError::Database(err) => err.into(),
        }
    }
}

/// The results of a forward or dry run, one per record and connection, in request order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForwardResponse {
    pub dry_run: bool,
    pub results: Vec<ForwardResult>,
}

/// Forward records to connections (or, with `dry_run`, answer what would be sent and what
/// blocks each): the published fields' values, the partner's object and mapped fields, or the
/// refusal (`connection_not_accepted`, `record_not_found`, `not_owner`: you neither own the
/// record nor are above its owner in your role hierarchy nor an admin (a key: neither `admin`
/// nor `manage_connections`), `many_need_manage_connections`: a user forwarding several records
/// at once without that scope, `private`, `not_published`,
/// `not_subscribed`, `lead_without_company`, `back_to_sender`). With `related_objects` and
/// `send_open_tasks` / `send_closed_tasks`, each record's children follow it with a result
/// each naming its `parent` (a task past the 100 of its record: `task_limit`; a case comment
/// not published or a private attachment: `private`; an attachment not marked shared:
/// `not_marked_shared`, over 20 MB: `too_large`).
#[utoipa::path(
    post,
    path = "/v1/sharing/forward",
    tag = "record sharing",
    request_body = ForwardRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = ForwardResponse),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A connection that is not yours; `detail` names it", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_forward"
)]
pub async fn forward(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<ForwardRequest>,
) -> Result<Json<ForwardResponse>, ApiError> {
    require_scope(&principal, Scope::Forward)?;
    forward::checked(&request)?;
    let mut conn = state.pool.get().await?;
    let results = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(forward::forward(conn, &principal, &request).await?)
        })
        .await?;
    Ok(Json(ForwardResponse {
        dry_run: request.dry_run,
        results,
    }))
}
