use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of every error answer (RFC 9457 `application/problem+json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, fixed summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request field at fault, as a dotted path (`contact.email`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a conflict: the resource's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    /// For a refused template: the line of `field` at fault (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub line: Option<u32>,
    /// For a refused template: the column on `line` (1-based, in characters), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub column: Option<u32>,
}

/// An error answer. Build one with the constructors; internal errors are logged, not shown.
#[derive(Debug)]
pub struct ApiError(Box<Problem>, StatusCode);

impl ApiError {
    fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self(
            Box::new(Problem {
                kind: format!("urn:partnernet:problem:{slug}"),
                title: title.to_string(),
                status: status.as_u16(),
                detail: detail.into(),
                field: None,
                current_status: None,
                line: None,
                column: None,
            }),
            status,
        )
    }

    /// 422: a field's value is not acceptable.
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "A field is invalid",
            detail,
        );
        err.0.field = Some(field.into());
        err
    }

    /// The same error, placing it at `line` (and `column`) of the field it names.
    pub fn at_line(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.0.line = line.and_then(|l| u32::try_from(l).ok());
        self.0.column = column.and_then(|c| u32::try_from(c).ok());
        self
    }

    /// 400: the body is not JSON at all.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "The body is not valid JSON",
            detail,
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send JSON",
            "Content-Type must be application/json",
        )
    }

    /// 401: no key, or a key that is unknown or revoked.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }

    /// 403: the key is valid but lacks a scope.
    pub fn forbidden(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "missing-scope",
            "The API key lacks a scope",
            format!("this action needs the `{scope}` scope"),
        )
    }

    /// 403: the caller may not do this to this resource (e.g. stop sharing a record it neither
    /// owns nor is above the owner of); `detail` says why.
    pub fn not_permitted(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not-permitted",
            "Not permitted",
            detail,
        )
    }

    /// 404: not found, or not visible to this org (the two are never told apart).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("no such {what}"),
        )
    }

    /// 409: the action is not allowed in the resource's current status.
    pub fn conflict(detail: impl Into<String>, current_status: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::CONFLICT, "conflict", "Not allowed now", detail);
        err.0.current_status = Some(current_status.into());
        err
    }

    /// 410: the named value (a token) existed but no longer works: used, expired or revoked.
    pub fn gone(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::GONE, "gone", "No longer valid", detail);
        err.0.field = Some(field.into());
        err
    }

    /// 413: the body is larger than [`super::MAX_BODY_BYTES`], however it was sent.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "The body is too large",
            format!(
                "a request body may have at most {} bytes",
                super::MAX_BODY_BYTES
            ),
        )
    }

    /// 408: the body stopped arriving (see [`super::HttpTimeouts`]).
    pub fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "The body stopped arriving",
            "the request body paused for longer than the server allows",
        )
    }

    /// Any other error status, for answers made below our handlers (routing, path decoding,
    /// body limits): see [`super::problems`].
    pub fn of_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error");
        let slug = title.to_ascii_lowercase().replace(' ', "-");
        Self::new(status, &slug, title, detail)
    }

    /// 500: logged in full, answered without detail.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        tracing::error!(error = %format!("{err:#}"), "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the error was logged",
        )
    }

    /// 503: a dependency is down.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Unavailable",
            detail,
        )
    }

    pub fn status(&self) -> StatusCode {
        self.1
    }

    pub fn problem(&self) -> &Problem {
        &self.0
    }
}

/// A domain check failed: 422 naming the field.
impl From<crate::validate::Invalid> for ApiError {
    fn from(err: crate::validate::Invalid) -> Self {
        Self::invalid_field(err.field, err.reason)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        Self::internal(err)
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %err, "no database connection");
        Self::unavailable("the database is unreachable; try again")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (
            self.1,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}
