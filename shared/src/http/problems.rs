//! Every error answer is `application/problem+json`, including those made below our handlers:
//! an unknown route (404) or method (405), a path that does not decode (`%FF`, 400), a body over
//! the limit (413 from the body-limit layer). Those come from axum and tower-http as empty or
//! `text/plain` bodies; this middleware rewrites them, keeping their status and headers (e.g.
//! `Allow`) and quoting their short text as the detail.

use super::problem::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The most of a plain error body quoted as the problem's detail.
const DETAIL_BYTES: usize = 300;

pub async fn problems(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let detail = match text.char_indices().nth(DETAIL_BYTES) {
        _ if text.is_empty() => default_detail(status.as_u16()).to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    };
    let problem = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::of_status(status, detail)
    }
    .into_response()
    .into_body();
    // The original status and headers (e.g. `Allow`) stay; the body and its type change.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    Response::from_parts(parts, Body::new(problem))
}

/// JSON answers are left alone (problems already, or `/readyz`'s 503 report), and so are the
/// web pages' HTML error pages, which say what went wrong in words.
fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/problem+json")
                || v.starts_with("application/json")
                || v.starts_with("text/html")
        })
}

fn default_detail(status: u16) -> &'static str {
    match status {
        404 => "no such route",
        405 => "the route does not take this method; see the Allow header",
        _ => "the request could not be served",
    }
}
