//! Finding a connection the asking org may see, locking it, and the people it names.

use crate::connection::ConnectionRow;
use crate::lifecycle::Side;
use crate::schema::{connection_templates, connections};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::http::ApiError;
use shared::identity::users;
use shared::ids::OrgId;
use shared::message::events::Recipient;
use uuid::Uuid;

/// The connection, if `org` is one of its two sides, with that side. Anything else is
/// "not found": another org's connection is never told apart from a missing one.
pub(crate) async fn visible_connection(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
) -> Result<(ConnectionRow, Side), ApiError> {
    let row = connections::table
        .filter(connections::id.eq(id))
        .filter(crate::connection::visible_to(org))
        .select(ConnectionRow::as_select())
        .first(conn)
        .await
        .optional()?;
    with_side(row, org)
}

/// Like [`visible_connection`], but takes the row's lock (`FOR UPDATE`) until the transaction
/// ends, so two concurrent actions on one connection run one after the other.
pub(crate) async fn locked_connection(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
) -> Result<(ConnectionRow, Side), ApiError> {
    let row = connections::table
        .filter(connections::id.eq(id))
        .filter(crate::connection::visible_to(org))
        .select(ConnectionRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    with_side(row, org)
}

fn with_side(row: Option<ConnectionRow>, org: OrgId) -> Result<(ConnectionRow, Side), ApiError> {
    row.and_then(|row| row.side_of(org).map(|side| (row, side)))
        .ok_or_else(|| ApiError::not_found("connection"))
}

/// Whether `user` is an active user of `org`.
pub(crate) async fn is_active_user(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    user: Uuid,
) -> QueryResult<bool> {
    let found: i64 = users::table
        .filter(users::id.eq(user))
        .filter(users::org_id.eq(org.as_uuid()))
        .filter(users::active)
        .count()
        .get_result(conn)
        .await?;
    Ok(found == 1)
}

/// Checks that `owner`, named in the request field `field`, is an active user of `org`.
pub(crate) async fn check_owner(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    field: &str,
    owner: Uuid,
) -> Result<(), ApiError> {
    if is_active_user(conn, org, owner).await? {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            field,
            "is not an active user of your organization",
        ))
    }
}

/// The user as an email recipient.
pub(crate) async fn recipient(
    conn: &mut AsyncPgConnection,
    user: Uuid,
) -> QueryResult<Option<Recipient>> {
    let found: Option<(String, String)> = users::table
        .find(user)
        .select((users::name, users::email))
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|(name, email)| Recipient { name, email }))
}

/// Checks that `template`, named in the request field `field`, is an active connection template
/// of `org` (the read model of the sharing service's templates, see [`crate::templates`]).
pub(crate) async fn check_template(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    field: &str,
    template: Option<Uuid>,
) -> Result<(), ApiError> {
    let Some(template) = template else {
        return Ok(());
    };
    let found: i64 = connection_templates::table
        .filter(connection_templates::id.eq(template))
        .filter(connection_templates::org_id.eq(org.as_uuid()))
        .filter(connection_templates::active)
        .count()
        .get_result(conn)
        .await?;
    if found == 1 {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            field,
            "is not an active connection template of your organization",
        ))
    }
}

/// The org's display name.
pub(crate) async fn org_name(conn: &mut AsyncPgConnection, org: OrgId) -> Result<String, ApiError> {
    shared::identity::org_name(conn, org)
        .await?
        .ok_or_else(ApiError::unauthorized)
}
