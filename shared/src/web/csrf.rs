//! CSRF protection of every form a signed-in user posts. Each session has one CSRF token,
//! derived from the session token (`SHA-256("pn-csrf:" || session token)`, url-safe): a page
//! puts it in a hidden `csrf` field, and [`CsrfForm`] compares it in constant time with the
//! session's before the handler runs. A missing or wrong token is a 403 page. The token reveals
//! nothing of the session token, and the table stores only its hash.

use super::layout::Page;
use super::user::WebUser;
use crate::db::DbPool;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The hidden field's name.
pub const FIELD: &str = "csrf";

/// The CSRF token of the session whose token is `session_token`.
pub fn token_for(session_token: &str) -> String {
    let digest = Sha256::digest(format!("pn-csrf:{session_token}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// Whether `a` and `b` are equal, taking the same time wherever they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hidden input every form carries.
pub fn hidden_field(user: &WebUser) -> String {
    format!(
        "<input type=\"hidden\" name=\"{FIELD}\" value=\"{}\">",
        super::escape(&user.csrf)
    )
}

/// A form posted by a signed-in user, its CSRF token checked: the user and the fields.
pub struct CsrfForm<T>(pub WebUser, pub T);

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    DbPool: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let user = WebUser::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let presented = pairs
            .iter()
            .find(|(key, _)| key == FIELD)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), user.csrf.as_bytes()) {
            return Err(Page::new("This form has expired")
                .notice_error(
                    "The form was not sent from this site's current page (its security token is \
                     missing or out of date). Go back, reload the page and try again.",
                )
                .render(StatusCode::FORBIDDEN, Some(&user)));
        }
        let fields = serde_urlencoded::from_bytes(&body).map_err(|err| {
            Page::new("The form is incomplete")
                .notice_error(&format!("The form could not be read: {err}."))
                .render(StatusCode::UNPROCESSABLE_ENTITY, Some(&user))
        })?;
        Ok(CsrfForm(user, fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_compare_exactly() {
        let (a, b) = (token_for("one"), token_for("two"));
        assert_ne!(a, b);
        assert!(constant_time_eq(a.as_bytes(), token_for("one").as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), b.as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), &a.as_bytes()[1..]));
    }
}
