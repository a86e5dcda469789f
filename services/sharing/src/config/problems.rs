//! What can make an import fail, and its HTTP answer: 422 listing every problem with its path.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::http::ApiError;

/// One thing wrong with a document, at `path` (`objects[Invoice__c].fields[Amount__c].type`).
// Named apart in the OpenAPI document: `Problem` there is the HTTP problem+json body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ConfigProblem)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body is not YAML or JSON at all.
    #[error("the document cannot be read: {0}")]
    Syntax(String),
    /// The document is readable but breaks rules; nothing was changed.
    #[error("the document has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// A stored row cannot be read back (a definition that is not an `ObjectDef`).
    #[error("stored configuration is unreadable: {0}")]
    Corrupt(String),
}

/// The body of a 422 answer: a problem+json; for a document that breaks rules, `errors` lists
/// every problem (a bad query parameter gets the plain problem, naming it in `field`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvalidDocument {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The first problem's path.
    pub field: String,
    /// Every problem found, each with its path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
}

impl IntoResponse for ImportError {
    fn into_response(self) -> Response {
        match self {
            ImportError::Syntax(detail) => ApiError::malformed(detail).into_response(),
            ImportError::Invalid(errors) => {
                let body = InvalidDocument {
                    kind: "urn:partnernet:problem:invalid-configuration",
                    title: "The configuration document is invalid",
                    status: 422,
                    detail: errors
                        .iter()
                        .map(Problem::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    field: errors.first().map(|p| p.path.clone()).unwrap_or_default(),
                    errors,
                };
                let bytes = serde_json::to_vec(&body).unwrap_or_default();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    [(header::CONTENT_TYPE, "application/problem+json")],
                    bytes,
                )
                    .into_response()
            }
            ImportError::Database(err) => ApiError::from(err).into_response(),
            corrupt @ ImportError::Corrupt(_) => ApiError::internal(corrupt).into_response(),
        }
    }
}
