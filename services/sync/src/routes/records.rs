//! One record at a time: create, read, list, change, upsert, delete.

use super::AppState;
use crate::store::read::{self, RecordRow};
use crate::store::write::{Upsert, Writer};
use crate::store::{Mode, Outcome};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared::http::{ApiError, Auth, ValidJson, ValidQuery, require_scope};
use shared::identity::{Principal, Scope};
use shared::message::events::sync::{ChangeSource, ChangedBy};
use shared::validate::{self, Invalid};

/// A record as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub object: String,
    pub record_id: String,
    /// 1 when created, +1 per change.
    pub version: i64,
    pub fields: Map<String, Value>,
    pub private: bool,
    /// The user who owns the record (its `OwnerId`, or the user an accepted copy was assigned
    /// to), if any.
    pub owner: Option<String>,
    /// Who made the last change (`{"kind": "org", "source": "http"}`...).
    #[schema(value_type = Object)]
    pub last_modified_by: Value,
    pub last_modified_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<RecordRow> for RecordView {
    fn from(row: RecordRow) -> Self {
        Self {
            object: row.object,
            record_id: row.record_id,
            version: row.version,
            fields: match row.fields {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            private: row.private,
            owner: row.owner,
            last_modified_by: row.last_modified_by,
            last_modified_at: row.last_modified_at,
            created_at: row.created_at,
        }
    }
}

/// A new record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// Your id for it (unique per object); generated when absent.
    pub record_id: Option<String>,
    /// Field API name to value.
    pub fields: Map<String, Value>,
    pub private: Option<bool>,
}

/// Fields to change (`null` clears one); fields not named keep their value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordChange {
    pub fields: Map<String, Value>,
    pub private: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordPage {
    pub records: Vec<RecordView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Records whose id sorts after this one.
    pub after: Option<String>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// `object` and `id` path segments: the same rules as in messages.
pub(super) fn key(field: &str, value: &str) -> Result<String, Invalid> {
    validate::text(
        field,
        value,
        shared::message::events::record::RECORD_KEY_MAX,
    )
}

pub(super) fn writer<'a>(
    state: &'a AppState,
    principal: &Principal,
    source: ChangeSource,
) -> Writer<'a> {
    Writer {
        clock: &state.clock,
        org: principal.org_id,
        changed_by: ChangedBy::Org { source },
        cause: None,
    }
}

/// Runs one write in its own transaction and answers with the record.
async fn write(
    state: &AppState,
    principal: &Principal,
    object: &str,
    record_id: &str,
    fields: &Map<String, Value>,
    private: Option<bool>,
    mode: Mode,
) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    require_scope(principal, Scope::WriteRecords)?;
    let mut conn = state.pool.get().await?;
    let writer = writer(state, principal, ChangeSource::Http);
    let input = Upsert {
        object,
        record_id,
        fields,
        private,
        mode,
    };
    let (outcome, row) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let outcome = writer
                .upsert(conn, &input)
                .await
                .map_err(|e| e.into_api_error())?;
            let row = read::one(conn, principal.org_id, object, record_id, false)
                .await?
                .ok_or_else(|| ApiError::not_found("record"))?;
            Ok((outcome, row))
        })
        .await?;
    let status = match outcome {
        Outcome::Created { .. } => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(row.into())))
}

/// Create a record.
#[utoipa::path(
    post,
    path = "/v1/records/{object}",
    tag = "records",
    params(("object" = String, Path, description = "The object's API name (`Account`, `Invoice__c`)")),
    request_body = NewRecord,
    security(("api_key" = [])),
    responses(
        (status = 201, body = RecordView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `write_records`", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A record with this id exists", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown object or field, or a value breaks a rule: `field` names it", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_create"
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(object): Path<String>,
    ValidJson(body): ValidJson<NewRecord>,
) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    let object = key("object", &object)?;
    let record_id = match &body.record_id {
        Some(id) => key("record_id", id)?,
        None => uuid::Uuid::now_v7().to_string(),
    };
    write(
        &state,
        &principal,
        &object,
        &record_id,
        &body.fields,
        body.private,
        Mode::CreateOnly,
    )
    .await
}

/// Change fields of a record.
#[utoipa::path(
    patch,
    path = "/v1/records/{object}/{id}",
    tag = "records",
    params(
        ("object" = String, Path, description = "The object's API name"),
        ("id" = String, Path, description = "The record's id"),
    ),
    request_body = RecordChange,
    security(("api_key" = [])),
    responses(
        (status = 200, body = RecordView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_update"
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, id)): Path<(String, String)>,
    ValidJson(body): ValidJson<RecordChange>,
) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    let (object, id) = (key("object", &object)?, key("id", &id)?);
    write(
        &state,
        &principal,
        &object,
        &id,
        &body.fields,
        body.private,
        Mode::UpdateOnly,
    )
    .await
}

/// Create the record, or change the fields given of the existing one.
#[utoipa::path(
    put,
    path = "/v1/records/{object}/{id}",
    tag = "records",
    params(
        ("object" = String, Path, description = "The object's API name"),
        ("id" = String, Path, description = "The record's id"),
    ),
    request_body = RecordChange,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Changed (or already so)", body = RecordView),
        (status = 201, description = "Created", body = RecordView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_upsert"
)]
pub async fn upsert(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, id)): Path<(String, String)>,
    ValidJson(body): ValidJson<RecordChange>,
) -> Result<(StatusCode, Json<RecordView>), ApiError> {
    let (object, id) = (key("object", &object)?, key("id", &id)?);
    write(
        &state,
        &principal,
        &object,
        &id,
        &body.fields,
        body.private,
        Mode::Upsert,
    )
    .await
}

/// Delete a record.
#[utoipa::path(
    delete,
    path = "/v1/records/{object}/{id}",
    tag = "records",
    params(
        ("object" = String, Path, description = "The object's API name"),
        ("id" = String, Path, description = "The record's id"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_delete"
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::WriteRecords)?;
    let (object, id) = (key("object", &object)?, key("id", &id)?);
    let mut conn = state.pool.get().await?;
    let writer = writer(&state, &principal, ChangeSource::Http);
    conn.transaction::<_, ApiError, _>(async |conn| {
        writer
            .delete(conn, &object, &id)
            .await
            .map_err(|e| e.into_api_error())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One record.
#[utoipa::path(
    get,
    path = "/v1/records/{object}/{id}",
    tag = "records",
    params(
        ("object" = String, Path, description = "The object's API name"),
        ("id" = String, Path, description = "The record's id"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, body = RecordView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_get_one"
)]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, id)): Path<(String, String)>,
) -> Result<Json<RecordView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let (object, id) = (key("object", &object)?, key("id", &id)?);
    let mut conn = state.pool.get().await?;
    let row = read::one(&mut conn, principal.org_id, &object, &id, false)
        .await?
        .filter(|row| !row.deleted)
        .ok_or_else(|| ApiError::not_found("record"))?;
    Ok(Json(row.into()))
}

/// The org's records of an object, in record id order, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/records/{object}",
    tag = "records",
    params(("object" = String, Path, description = "The object's API name"), ListQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = RecordPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "records_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(object): Path<String>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<RecordPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let object = key("object", &object)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be 1 to 500"));
    }
    // The cursor is a record id: the same rules (a NUL byte, which PostgreSQL cannot hold, is 422).
    let after = query
        .after
        .as_deref()
        .map(|id| key("after", id))
        .transpose()?;
    let mut conn = state.pool.get().await?;
    let rows = read::page(
        &mut conn,
        principal.org_id,
        &object,
        after.as_deref(),
        limit + 1,
    )
    .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let records: Vec<RecordView> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(RecordView::from)
        .collect();
    let next_after = more
        .then(|| records.last().map(|r| r.record_id.clone()))
        .flatten();
    Ok(Json(RecordPage {
        records,
        next_after,
    }))
}
