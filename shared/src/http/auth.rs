use super::problem::ApiError;
use crate::db::DbPool;
use crate::identity::{self, Principal, Scope};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

/// The org a request speaks for. Extracting it answers 401 without a valid API key.
///
/// A key may act for one of its org's users by naming it in [`ACT_AS_USER`]: the request is
/// then that user's (it may forward the records the user owns or is above the owner of), with
/// only the scopes both the key and the user hold, so a key never does more than it may
/// itself. A user who is not an active user of the key's org is 422 naming the header.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

/// The header naming the user an API key acts for (a user's id).
pub const ACT_AS_USER: &str = "x-act-as-user";

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
            .and_then(bearer_token)
            .filter(|k| k.starts_with("pn_"))
            .ok_or_else(ApiError::unauthorized)?;
        let pool = DbPool::from_ref(state);
        let mut conn = pool.get().await?;
        let mut principal = identity::authenticate(&mut conn, key)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if let Some(value) = parts.headers.get(ACT_AS_USER) {
            let refuse = || {
                ApiError::invalid_field(ACT_AS_USER, "must be the id of an active user of your org")
            };
            let user = value
                .to_str()
                .ok()
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
                .ok_or_else(refuse)?;
            let scopes = identity::user_scopes(&mut conn, principal.org_id, user)
                .await?
                .ok_or_else(refuse)?;
            principal.scopes.retain(|scope| scopes.contains(scope));
            principal.user_id = Some(crate::ids::UserId(user));
        }
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

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive
/// (RFC 9110 §11.1), so `bearer` and `BEARER` work too.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in [
            "Bearer pn_k",
            "bearer pn_k",
            "BEARER  pn_k ",
            " BeArEr pn_k",
        ] {
            assert_eq!(bearer_token(value), Some("pn_k"), "{value:?}");
        }
    }

    #[test]
    fn another_scheme_or_no_token_is_not_a_bearer_token() {
        for value in ["Basic pn_k", "Bearer", "Bearer   ", "Bearerpn_k", "pn_k"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
