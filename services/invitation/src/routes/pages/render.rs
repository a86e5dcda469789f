//! Pieces several pages share: an API error as a page, dates, names of orgs and users.

use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::http::ApiError;
use shared::identity::{orgs, users};
use shared::web::{Back, WebUser, api_error_page};
use std::collections::HashMap;
use uuid::Uuid;

/// The page for an API error, with a way back to the connections.
pub fn error_page(err: &ApiError, user: Option<&WebUser>) -> Response {
    api_error_page(err, user, Back::CONNECTIONS)
}

/// A date as pages show it (`6 Dec 2026`).
pub fn date(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// A date and time as pages show it.
pub fn date_time(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

/// The names of the orgs `ids` (those that exist).
pub async fn org_names(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    let rows: Vec<(Uuid, String)> = orgs::table
        .filter(orgs::id.eq_any(ids))
        .select((orgs::id, orgs::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The names of the users `ids` of `org` (a page never names another org's users).
pub async fn user_names(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    let rows: Vec<(Uuid, String)> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::org_id.eq(org))
        .select((users::id, users::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
