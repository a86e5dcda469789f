//! `/v1/connection-templates`: the org's connection templates and applying one to many
//! connections at once. Reading needs `read`; the rest `manage_connections`.

use super::AppState;
use crate::publications::change::PublicationChange;
use crate::templates::apply::{apply as apply_template, record};
use crate::templates::store::{self, Template, TemplateRequest};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::validate;
use uuid::Uuid;

/// Every template of your org.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateList {
    pub items: Vec<Template>,
}

/// The connections to apply a template to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// At most 500.
    pub connection_ids: Vec<Uuid>,
}

const APPLY_MAX: usize = 500;

/// How applying went on one connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyOutcome {
    pub connection_id: Uuid,
    /// `applied` or `failed`.
    pub outcome: &'static str,
    /// What changed, when applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<PublicationChange>,
    /// Why not, when failed (e.g. "no such connection").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<shared::http::Problem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyResponse {
    pub results: Vec<ApplyOutcome>,
}

fn template_id(id: &str) -> Result<Uuid, ApiError> {
    Ok(validate::uuid("id", id)?)
}

/// List your org's connection templates.
#[utoipa::path(
    get,
    path = "/v1/connection-templates",
    tag = "connection templates",
    security(("api_key" = [])),
    responses(
        (status = 200, body = TemplateList),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<TemplateList>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let items = store::list(&mut conn, principal.org_id).await?;
    Ok(Json(TemplateList { items }))
}

/// One of your org's connection templates.
#[utoipa::path(
    get,
    path = "/v1/connection-templates/{id}",
    tag = "connection templates",
    params(("id" = Uuid, Path, description = "The template's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = Template),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_get"
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<Json<Template>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = template_id(&id)?;
    let mut conn = state.pool.get().await?;
    Ok(Json(
        store::get(&mut conn, principal.org_id, id, false).await?,
    ))
}

/// Create a connection template (name unique in your org; objects checked as publications are).
#[utoipa::path(
    post,
    path = "/v1/connection-templates",
    tag = "connection templates",
    request_body = TemplateRequest,
    security(("api_key" = [])),
    responses(
        (status = 201, body = Template),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_create"
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<TemplateRequest>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let template = conn
        .transaction::<_, ApiError, _>(async |conn| Ok(store::create(conn, org, &request).await?))
        .await?;
    Ok((StatusCode::CREATED, Json(template)))
}

/// Replace a connection template (name, description, active flag, objects).
#[utoipa::path(
    put,
    path = "/v1/connection-templates/{id}",
    tag = "connection templates",
    params(("id" = Uuid, Path, description = "The template's id")),
    request_body = TemplateRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = Template),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_replace"
)]
pub async fn replace(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<TemplateRequest>,
) -> Result<Json<Template>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = template_id(&id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let template = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(store::replace(conn, org, id, &request).await?)
        })
        .await?;
    Ok(Json(template))
}

/// Delete a connection template (connections keep what it published).
#[utoipa::path(
    delete,
    path = "/v1/connection-templates/{id}",
    tag = "connection templates",
    params(("id" = Uuid, Path, description = "The template's id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_delete"
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = template_id(&id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| Ok(store::delete(conn, org, id).await?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Apply an active template to connections: each one's published set becomes exactly the
/// template's. One result per connection; one failing does not stop the others.
#[utoipa::path(
    post,
    path = "/v1/connection-templates/{id}/apply",
    tag = "connection templates",
    params(("id" = Uuid, Path, description = "The template's id")),
    request_body = ApplyRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A result per connection", body = ApplyResponse),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The template is inactive, or too many connections", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "connection_templates_apply"
)]
pub async fn apply(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<ApplyRequest>,
) -> Result<Json<ApplyResponse>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = template_id(&id)?;
    let org = principal.org_id;
    if request.connection_ids.is_empty() || request.connection_ids.len() > APPLY_MAX {
        return Err(ApiError::invalid_field(
            "connection_ids",
            format!("must hold between 1 and {APPLY_MAX} ids"),
        ));
    }
    let mut conn = state.pool.get().await?;
    // The template's own refusals answer the whole request.
    let template = store::get(&mut conn, org, id, false).await?;
    if !template.active {
        return Err(crate::templates::apply::ApplyError::Inactive.into());
    }
    let mut results = Vec::with_capacity(request.connection_ids.len());
    for connection_id in request.connection_ids {
        let outcome = conn
            .transaction::<_, ApiError, _>(async |conn| {
                Ok(apply_template(conn, org, id, connection_id, None).await?)
            })
            .await;
        results.push(match outcome {
            Ok(change) => ApplyOutcome {
                connection_id,
                outcome: "applied",
                change: Some(change),
                error: None,
            },
            Err(err) if err.status().is_server_error() => return Err(err),
            Err(err) => {
                record(
                    &mut conn,
                    org,
                    id,
                    connection_id,
                    Some(&err.problem().detail),
                )
                .await?;
                ApplyOutcome {
                    connection_id,
                    outcome: "failed",
                    change: None,
                    error: Some(err.problem().clone()),
                }
            }
        });
    }
    Ok(Json(ApplyResponse { results }))
}
