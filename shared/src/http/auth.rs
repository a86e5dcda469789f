use super::problem::ApiError;
use crate::db::DbPool;
use crate::identity::{self, Principal, Scope};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

/// The org a request speaks for. Extracting it answers 401 without a valid API key.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl<S> FromRequestParts<S> for Auth
where
    S: Send + Sync,
    DbPool: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| k.starts_with("pn_"))
            .ok_or_else(ApiError::unauthorized)?;
        let pool = DbPool::from_ref(state);
        let mut conn = pool.get().await?;
        let principal = identity::authenticate(&mut conn, key)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Auth(principal))
    }
}

/// 403 unless the key holds `scope`.
pub fn require_scope(principal: &Principal, scope: Scope) -> Result<(), ApiError> {
    if principal.has(scope) {
        Ok(())
    } else {
        Err(ApiError::forbidden(scope.as_str()))
    }
}
