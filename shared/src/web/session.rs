//! Browser sessions. The cookie `pn_session` holds a random token (32 bytes, url-safe); the
//! table holds only its SHA-256. A session ends when it expires or is revoked (sign out).

use super::csrf;
use super::tables::web_sessions;
use crate::ids::{OrgId, UserId};
use axum::http::HeaderMap;
use axum::http::header;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The session cookie's name.
pub const COOKIE: &str = "pn_session";

/// How long a session lasts.
pub const LIFETIME: chrono::Duration = chrono::Duration::hours(12);

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random token (32 bytes, url-safe base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A session just created: its token goes into the cookie, and nowhere else.
pub struct NewSession {
    pub id: Uuid,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Starts a session for `user` of `org`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    user: UserId,
    org: OrgId,
) -> QueryResult<NewSession> {
    let token = new_token();
    let id = Uuid::now_v7();
    let expires_at = Utc::now() + LIFETIME;
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(id),
            web_sessions::token_hash.eq(hash(&token)),
            web_sessions::user_id.eq(user.as_uuid()),
            web_sessions::org_id.eq(org.as_uuid()),
            web_sessions::csrf_hash.eq(hash(&csrf::token_for(&token))),
            web_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(NewSession {
        id,
        token,
        expires_at,
    })
}

/// Ends the session `id` (sign out); its cookie no longer signs anyone in.
pub async fn revoke(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(web_sessions::table.find(id))
        .filter(web_sessions::revoked_at.is_null())
        .set(web_sessions::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, `Secure` when the site is https.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, public_base_url: &str) -> String {
    let secure = if public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}")
}

/// The `Set-Cookie` value that starts `session` in the browser.
pub fn session_cookie(session: &NewSession, public_base_url: &str) -> String {
    set_cookie(
        COOKIE,
        &session.token,
        LIFETIME.num_seconds(),
        public_base_url,
    )
}

/// The `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str, public_base_url: &str) -> String {
    set_cookie(name, "", 0, public_base_url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_on_https() {
        let value = set_cookie(COOKIE, "t", 60, "https://partnernet.example");
        assert_eq!(
            value,
            "pn_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=60; Secure"
        );
        assert!(!set_cookie(COOKIE, "t", 60, "http://localhost:8080").contains("Secure"));
    }

    #[test]
    fn the_named_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; pn_session=xyz"),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("xyz"));
        assert_eq!(cookie_value(&headers, "b"), None);
    }
}
