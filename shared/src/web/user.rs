//! The signed-in user of a page, from the `pn_session` cookie. A page that needs one and gets a
//! request without a live session redirects to `/sign-in?next=<this path>`.

use super::csrf;
use super::escape::url_encode;
use super::layout::Page;
use super::redirect::{safe_next, see_other};
use super::session::{self, COOKIE};
use super::tables::web_sessions;
use crate::db::DbPool;
use crate::identity::{Principal, Scope, orgs, users};
use crate::ids::{OrgId, UserId};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Who is signed in: the session, the user and their org.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub session_id: Uuid,
    pub org_id: OrgId,
    pub org_name: String,
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub scopes: Vec<Scope>,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

impl WebUser {
    /// The principal a page acts as when it calls an API handler: the user's org and scopes,
    /// with the session standing for the API key.
    pub fn principal(&self) -> Principal {
        Principal {
            org_id: self.org_id,
            key_id: self.session_id,
            scopes: self.scopes.clone(),
            user_id: Some(self.user_id),
        }
    }

    /// The user of the live session the request's cookie names, if any.
    pub async fn from_parts(parts: &Parts, pool: &DbPool) -> Result<Option<Self>, Response> {
        let Some(token) = session::cookie_value(&parts.headers, COOKIE) else {
            return Ok(None);
        };
        let mut conn = pool.get().await.map_err(|err| server_error(&err))?;
        type Row = (Uuid, Uuid, String, Uuid, String, String, Vec<String>);
        let found: Option<Row> = web_sessions::table
            .inner_join(users::table)
            .inner_join(orgs::table.on(orgs::id.eq(web_sessions::org_id)))
            .filter(web_sessions::token_hash.eq(session::hash(token)))
            .filter(web_sessions::revoked_at.is_null())
            .filter(web_sessions::expires_at.gt(Utc::now()))
            .filter(users::active)
            .filter(users::org_id.eq(web_sessions::org_id))
            .select((
                web_sessions::id,
                web_sessions::org_id,
                orgs::name,
                users::id,
                users::name,
                users::email,
                users::scopes,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(|err| server_error(&err))?;
        Ok(found.map(
            |(session_id, org_id, org_name, user_id, name, email, scopes)| WebUser {
                session_id,
                org_id: OrgId(org_id),
                org_name,
                user_id: UserId(user_id),
                name,
                email,
                scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
                csrf: csrf::token_for(token),
            },
        ))
    }
}

fn server_error(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "reading the web session failed");
    Page::new("Something went wrong")
        .notice_error("The page could not be shown. Try again in a moment.")
        .render(StatusCode::INTERNAL_SERVER_ERROR, None)
}

impl<S> FromRequestParts<S> for WebUser
where
    S: Send + Sync,
    DbPool: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match WebUser::from_parts(parts, &DbPool::from_ref(state)).await? {
            Some(user) => Ok(user),
            None => Err(to_sign_in(parts)),
        }
    }
}

/// To the sign-in page; a GET comes back to where it was after signing in.
fn to_sign_in(parts: &Parts) -> Response {
    if parts.method == Method::GET {
        let here = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        see_other(&format!(
            "/sign-in?next={}",
            url_encode(&safe_next(Some(here)))
        ))
    } else {
        see_other("/sign-in")
    }
}

/// The signed-in user, if there is one (pages that also serve visitors).
pub struct MaybeWebUser(pub Option<WebUser>);

impl<S> FromRequestParts<S> for MaybeWebUser
where
    S: Send + Sync,
    DbPool: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeWebUser(
            WebUser::from_parts(parts, &DbPool::from_ref(state)).await?,
        ))
    }
}
