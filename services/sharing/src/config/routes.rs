//! `GET /v1/config` (the org's configuration as YAML or JSON) and `POST /v1/config/import`
//! (make it a document's, or see what that would change with `dry_run=true`). Scope `admin`.

use super::{ConfigDocument, Format, ImportError, ImportOutcome};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shared::db::DbPool;
use shared::http::{ApiError, Auth, ValidQuery, is_json_media_type, require_scope};
use shared::identity::Scope;

pub fn router(pool: DbPool) -> Router {
    Router::new()
        .route("/v1/config", get(export_config))
        .route("/v1/config/import", post(import_config))
        .with_state(pool)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `yaml` or `json`; wins over `Accept`.
    pub format: Option<String>,
}

/// The org's configuration (object schemas, templates, publications, subscriptions with their
/// mappings) as one document: YAML by default or with `Accept: application/yaml`, JSON with
/// `Accept: application/json` or `?format=json`.
#[utoipa::path(
    get,
    path = "/v1/config",
    tag = "config",
    params(ExportQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The document (see docs/config-as-code.md)", content((ConfigDocument = "application/yaml"), (ConfigDocument = "application/json"))),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_config(
    State(pool): State<DbPool>,
    Auth(principal): Auth,
    headers: HeaderMap,
    ValidQuery(query): ValidQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let format = match query.format.as_deref() {
        Some("yaml") => Format::Yaml,
        Some("json") => Format::Json,
        Some(_) => return Err(ApiError::invalid_field("format", "use yaml or json")),
        None => accepted(&headers),
    };
    let mut conn = pool.get().await?;
    let document = super::export(&mut conn, principal.org_id.as_uuid())
        .await
        .map_err(import_error)?;
    let (body, content_type) = match format {
        Format::Yaml => (document.to_yaml(), "application/yaml"),
        Format::Json => (document.to_json(), "application/json"),
    };
    let body = body.map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// JSON when `Accept` asks for JSON and not YAML; YAML otherwise.
fn accepted(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if accept.contains("json") && !accept.contains("yaml") {
        Format::Json
    } else {
        Format::Yaml
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Only compute and return the plan; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Make the org's configuration exactly the document's (YAML or JSON, by `Content-Type`). The
/// whole document is checked first (field definitions, publishability, partners, mapping rules):
/// any problem is a 422 listing every problem with its path, and nothing changes. Otherwise the
/// plan is applied in one transaction; with `dry_run=true` it is only returned.
#[utoipa::path(
    post,
    path = "/v1/config/import",
    tag = "config",
    params(ImportQuery),
    request_body(content((ConfigDocument = "application/yaml"), (ConfigDocument = "application/json"))),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The plan, applied unless a dry run", body = ImportOutcome),
        (status = 400, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 413, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 415, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem of the document, each with its path", body = super::problems::InvalidDocument, content_type = "application/problem+json"),
    )
)]
pub async fn import_config(
    State(pool): State<DbPool>,
    Auth(principal): Auth,
    ValidQuery(query): ValidQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<ImportOutcome>, Response> {
    require_scope(&principal, Scope::Admin).map_err(IntoResponse::into_response)?;
    let format = content_format(&headers).ok_or_else(|| {
        ApiError::of_status(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/yaml or application/json",
        )
        .into_response()
    })?;
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::payload_too_large().into_response()
        }
        other => ApiError::malformed(other.body_text()).into_response(),
    })?;
    let document = super::parse(&body, format).map_err(IntoResponse::into_response)?;
    let mut conn = pool
        .get()
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let outcome = super::import(
        &mut conn,
        principal.org_id.as_uuid(),
        document,
        query.dry_run,
    )
    .await
    .map_err(IntoResponse::into_response)?;
    Ok(axum::Json(outcome))
}

/// The document's syntax by `Content-Type`.
fn content_format(headers: &HeaderMap) -> Option<Format> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if is_json_media_type(value) {
        return Some(Format::Json);
    }
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
    )
    .then_some(Format::Yaml)
}

fn import_error(err: ImportError) -> ApiError {
    match err {
        ImportError::Database(e) => e.into(),
        other => ApiError::internal(other),
    }
}

/// The config routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(export_config, import_config),
    components(schemas(
        ConfigDocument,
        super::document::ObjectConfig,
        super::document::TemplateConfig,
        super::document::PublishedObject,
        super::document::PartnerPublications,
        super::document::PartnerSubscriptions,
        super::document::SubscribedObject,
        super::document::FieldMapping,
        ImportOutcome,
        super::plan::Change,
        super::plan::Op,
        super::problems::InvalidDocument,
        super::problems::Problem,
        shared::crm::FieldDef,
        shared::crm::FieldType,
    )),
    tags((name = "config", description = "Configuration as code: export and import an organization's objects, templates, publications and subscriptions")),
)]
pub struct ApiDoc;
