use super::AppState;
use crate::kinds::{self, Kind};
use crate::schema::templates;
use crate::sender;
use crate::templates::{Rendered, TemplateProblem, TemplateSet, Templates};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;

/// An email kind and whether the org replaced its template.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KindSummary {
    pub kind: String,
    pub audience: String,
    /// The variables its templates may use.
    pub variables: Vec<String>,
    pub customized: bool,
}

/// The template in force for a kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub kind: String,
    /// False while the default shipped with PartnerNet is used.
    pub customized: bool,
    #[serde(flatten)]
    pub template: TemplateSet,
}

fn kind_or_404(kind: &str) -> Result<&'static Kind, ApiError> {
    kinds::find(kind).ok_or_else(|| ApiError::not_found("email kind"))
}

/// 422 naming the part at fault, with its line and column as fields of the problem too.
fn refused(problem: TemplateProblem) -> ApiError {
    ApiError::invalid_field(problem.field, problem.to_string())
        .at_line(problem.line, problem.column)
}

/// Runs `work` with the templates on a blocking thread, once a render slot is free.
async fn off_executor<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Templates) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let slot = state
        .render_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let templates = state.templates.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work(&templates)
    })
    .await
    .map_err(ApiError::internal)
}

/// The email kinds, and which the org customized.
#[utoipa::path(get, path = "/v1/email-templates", operation_id = "list_email_templates", tag = "emails", security(("api_key" = [])),
    responses((status = 200, body = Vec<KindSummary>), (status = 401, body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<KindSummary>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let customized: Vec<String> = templates::table
        .filter(templates::org_id.eq(principal.org_id.as_uuid()))
        .select(templates::kind)
        .load(&mut conn)
        .await?;
    Ok(Json(
        kinds::KINDS
            .iter()
            .map(|k| KindSummary {
                kind: k.name.into(),
                audience: k.audience.into(),
                variables: k
                    .variables
                    .iter()
                    .chain(kinds::COMMON_VARIABLES)
                    .map(|v| v.to_string())
                    .collect(),
                customized: customized.iter().any(|c| c == k.name),
            })
            .collect(),
    ))
}

/// The template in force for one kind.
#[utoipa::path(get, path = "/v1/email-templates/{kind}", operation_id = "get_email_template", tag = "emails", security(("api_key" = [])),
    params(("kind" = String, Path, description = "Email kind, e.g. `invitation`")),
    responses((status = 200, body = TemplateView), (status = 404, body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(kind): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let kind = kind_or_404(&kind)?;
    let mut conn = state.pool.get().await?;
    let custom = sender::custom_template(&mut conn, principal.org_id, kind.name).await?;
    let customized = custom.is_some();
    let template = match custom {
        Some(set) => set,
        None => state
            .templates
            .default_set(kind.name)
            .cloned()
            .ok_or_else(|| ApiError::not_found("email kind"))?,
    };
    Ok(Json(TemplateView {
        kind: kind.name.into(),
        customized,
        template,
    }))
}

/// Replace a kind's template for the org. Refused, with the line and the reason, when it does not
/// parse, uses a variable the kind does not offer, or fails to render sample values.
#[utoipa::path(put, path = "/v1/email-templates/{kind}", operation_id = "put_email_template", tag = "emails", security(("api_key" = [])),
    params(("kind" = String, Path, description = "Email kind, e.g. `invitation`")),
    request_body = TemplateSet,
    responses((status = 200, body = TemplateView),
        (status = 422, description = "`field` names the part (`subject`, `text`, `html`); `line` and `column` (when known) where in it; `detail` gives line and reason", body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(kind): Path<String>,
    ValidJson(set): ValidJson<TemplateSet>,
) -> Result<Json<TemplateView>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let kind = kind_or_404(&kind)?;
    let set = off_executor(&state, move |templates| {
        templates.validate(kind, &set).map(|()| set)
    })
    .await?
    .map_err(refused)?;
    let mut conn = state.pool.get().await?;
    let row = (
        templates::org_id.eq(principal.org_id.as_uuid()),
        templates::kind.eq(kind.name),
        templates::subject.eq(&set.subject),
        templates::text_body.eq(&set.text),
        templates::html_body.eq(&set.html),
        templates::updated_at.eq(chrono::Utc::now()),
    );
    diesel::insert_into(templates::table)
        .values(row)
        .on_conflict((templates::org_id, templates::kind))
        .do_update()
        .set(row)
        .execute(&mut conn)
        .await?;
    Ok(Json(TemplateView {
        kind: kind.name.into(),
        customized: true,
        template: set,
    }))
}

/// Go back to the default template for a kind.
#[utoipa::path(delete, path = "/v1/email-templates/{kind}", operation_id = "reset_email_template", tag = "emails", security(("api_key" = [])),
    params(("kind" = String, Path, description = "Email kind, e.g. `invitation`")),
    responses((status = 204, description = "The default is in force again")))]
pub async fn reset(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(kind): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let kind = kind_or_404(&kind)?;
    let mut conn = state.pool.get().await?;
    diesel::delete(templates::table.find((principal.org_id.as_uuid(), kind.name)))
        .execute(&mut conn)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to preview: a draft, or (when absent) the template in force.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub template: Option<TemplateSet>,
}

/// Render a kind's template (or a draft) with sample values. Needs `manage_connections`: a
/// render costs the server work, so it is for those who edit templates.
#[utoipa::path(post, path = "/v1/email-templates/{kind}/preview", operation_id = "preview_email_template", tag = "emails", security(("api_key" = [])),
    params(("kind" = String, Path, description = "Email kind, e.g. `invitation`")),
    request_body = PreviewRequest,
    responses((status = 200, body = Rendered),
        (status = 403, description = "The key lacks manage_connections", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft is invalid (`field`, `line`, `column` as for a save) or a part renders past its size limit", body = shared::http::Problem, content_type = "application/problem+json")))]
pub async fn preview(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(kind): Path<String>,
    ValidJson(request): ValidJson<PreviewRequest>,
) -> Result<Json<Rendered>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let kind = kind_or_404(&kind)?;
    let set = match request.template {
        Some(draft) => Some(draft),
        None => {
            let mut conn = state.pool.get().await?;
            sender::custom_template(&mut conn, principal.org_id, kind.name).await?
        }
    };
    off_executor(&state, move |templates| {
        if let Some(draft) = &set {
            templates.validate(kind, draft)?;
        }
        templates.render(kind.name, set.as_ref(), &(kind.sample)())
    })
    .await?
    .map(Json)
    .map_err(refused)
}
