//! An org's users, as the org-admin routes and the CLI create and show them. The rows live in
//! the runtime's `identity.users` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::identity::{Scope, users};
use shared::ids::{OrgId, UserId};
use uuid::Uuid;

/// A user of an org.
#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub active: bool,
    /// The identity that writes partner changes into the org; it cannot be deactivated.
    pub is_connection_user: bool,
    pub created_at: DateTime<Utc>,
    /// What the user may do on the web pages (the names of API key scopes).
    pub scopes: Vec<String>,
    /// The user's role in the org's hierarchy (`/v1/roles`), if any.
    pub role_id: Option<Uuid>,
}

pub type UserColumns = (
    users::id,
    users::name,
    users::email,
    users::active,
    users::is_connection_user,
    users::created_at,
    users::scopes,
    users::role_id,
);

/// The columns of a [`UserView`].
pub const USER_COLUMNS: UserColumns = (
    users::id,
    users::name,
    users::email,
    users::active,
    users::is_connection_user,
    users::created_at,
    users::scopes,
    users::role_id,
);

/// Adds an active user to `org` with `scopes`. `name` and `email` must already be validated.
pub async fn create(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    name: &str,
    email: &str,
    scopes: &[Scope],
) -> QueryResult<UserView> {
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(UserId::new().as_uuid()),
            users::org_id.eq(org.as_uuid()),
            users::name.eq(name),
            users::email.eq(email),
            users::scopes.eq(scopes),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)
        .await
}
