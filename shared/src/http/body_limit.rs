//! The request body limit ([`super::MAX_BODY_BYTES`]) for every route but streamed uploads.
//!
//! A body of `application/x-ndjson` (bulk record upserts) is read as a stream, a line at a
//! time, by a handler that bounds each line and writes in batches: its total size is not
//! limited, so a large import need not be split. Every other body is limited as by
//! tower-http's `RequestBodyLimitLayer`: a larger `Content-Length` is refused at once (413), a
//! body that grows past the limit while read fails with `LengthLimitError`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The media type of streamed uploads.
pub const NDJSON: &str = "application/x-ndjson";

pub async fn limit_body(request: Request, next: Next) -> Response {
    let media_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if media_type.is_some_and(|m| m.eq_ignore_ascii_case(NDJSON)) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > super::MAX_BODY_BYTES as u64) {
        // The problems middleware outside turns it into problem+json.
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request =
        request.map(|body| Body::new(http_body_util::Limited::new(body, super::MAX_BODY_BYTES)));
    next.run(request).await
}
