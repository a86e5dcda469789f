//! Bulk upsert over HTTP: NDJSON streamed, one record per line, written in batches as it
//! arrives (see `store::bulk`). A bad line fails alone; the answer is a summary.

use super::AppState;
use super::records::{key, writer};
use crate::store::bulk::{BATCH, BulkFailure, BulkRecord, BulkSummary, Parsed, write_batch};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use futures_util::StreamExt;
use shared::http::{ApiError, Auth, require_scope};
use shared::identity::Scope;
use shared::message::events::sync::ChangeSource;

/// Longest line accepted (a record), like the largest message the ingest queue takes.
const MAX_LINE_BYTES: usize = 256 * 1024;

/// Create or change many records of one object: `application/x-ndjson`, one
/// `{"record_id": ..., "fields": {...}}` per line. Answers with a summary; a bad line does not
/// stop the others.
#[utoipa::path(
    post,
    path = "/v1/records/{object}/bulk",
    tag = "records",
    params(("object" = String, Path, description = "The object's API name")),
    request_body(content = String, content_type = "application/x-ndjson", description = "One record per line: {\"record_id\": \"A-1\", \"fields\": {\"Name\": \"Acme\"}}"),
    security(("api_key" = [])),
    responses(
        (status = 200, body = BulkSummary),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 415, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn bulk_upsert(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(object): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BulkSummary>, ApiError> {
    require_scope(&principal, Scope::WriteRecords)?;
    let object = key("object", &object)?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-ndjson"));
    if !ndjson {
        return Err(ApiError::unsupported_media_type());
    }
    let mut conn = state.pool.get().await?;
    let writer = writer(&state, &principal, ChangeSource::Bulk);
    let mut summary = BulkSummary::default();
    let mut stream = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut batch: Vec<(u64, Parsed)> = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        let chunk = stream.next().await;
        let done = chunk.is_none();
        match chunk {
            Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
            Some(Err(e)) => return Err(ApiError::malformed(format!("reading the body: {e}"))),
            None => {}
        }
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            line_no += 1;
            if let Some(parsed) = parse(line_no, &line) {
                batch.push((line_no, parsed));
            }
        }
        if pending.len() > MAX_LINE_BYTES {
            return Err(ApiError::invalid_field(
                "body",
                format!("line {} is longer than {MAX_LINE_BYTES} bytes", line_no + 1),
            ));
        }
        if done && !pending.is_empty() {
            line_no += 1;
            if let Some(parsed) = parse(line_no, &std::mem::take(&mut pending)) {
                batch.push((line_no, parsed));
            }
        }
        if batch.len() >= BATCH || (done && !batch.is_empty()) {
            let lines = std::mem::take(&mut batch);
            write_batch(&mut conn, &writer, &object, &lines, &mut summary).await?;
        }
        if done {
            break;
        }
    }
    Ok(Json(summary))
}

/// One line: `None` when blank.
fn parse(number: u64, raw: &[u8]) -> Option<Parsed> {
    let text = raw.trim_ascii();
    if text.is_empty() {
        return None;
    }
    Some(
        shared::strict_json::from_slice::<BulkRecord>(text).map_err(|e| BulkFailure {
            line: number,
            field: None,
            reason: format!("not a record: {e}"),
        }),
    )
}
