//! An org's users, as the org-admin routes and the CLI create and show them. The rows live in
//! the runtime's `identity.users` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::identity::users;
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
}

pub type UserColumns = (
    users::id,
    users::name,
    users::email,
    users::active,
    users::is_connection_user,
    users::created_at,
);

/// The columns of a [`UserView`].
pub const USER_COLUMNS: UserColumns = (
    users::id,
    users::name,
    users::email,
    users::active,
    users::is_connection_user,
    users::created_at,
);

/// Adds an active user to `org`. `name` and `email` must already be validated.
pub async fn create(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    name: &str,
    email: &str,
) -> QueryResult<UserView> {
    diesel::insert_into(users::table)
        .values((
            users::id.eq(UserId::new().as_uuid()),
            users::org_id.eq(org.as_uuid()),
            users::name.eq(name),
            users::email.eq(email),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)
        .await
}
