//! HTTP pieces every service uses: errors as `application/problem+json`, a JSON extractor that
//! names the offending field, API-key authentication, and the operational routes.

mod auth;
pub mod body_limit;
pub mod idempotency;
mod json;
mod ops;
mod problem;
mod problems;
mod query;
mod server;

pub use auth::{Auth, require_scope};
pub use json::{ValidJson, is_json_media_type};
pub use ops::{OpsState, ops_router};
pub use problem::{ApiError, Problem};
pub use problems::problems;
pub use query::ValidQuery;
pub use server::{HttpTimeouts, serve_http};

/// No request body may be larger than this (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
