//! A queue's members, as a create or a replace names them: at most [`MAX_MEMBERS`] active users
//! of the org, not its Connection User; a bad one is refused naming `member_ids[i]`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::http::ApiError;
use shared::identity::users;
use shared::roles::queue_members;
use shared::validate;
use uuid::Uuid;

/// Most members of one queue.
pub const MAX_MEMBERS: usize = 200;

/// The distinct users `ids` names, in order, each an active user of `org` other than its
/// Connection User.
pub async fn checked(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    ids: &[String],
) -> Result<Vec<Uuid>, ApiError> {
    if ids.len() > MAX_MEMBERS {
        return Err(ApiError::invalid_field(
            "member_ids",
            format!("must hold at most {MAX_MEMBERS} users"),
        ));
    }
    let named = ids
        .iter()
        .enumerate()
        .map(|(i, id)| validate::uuid(&format!("member_ids[{i}]"), id))
        .collect::<Result<Vec<_>, _>>()?;
    let known: Vec<Uuid> = users::table
        .filter(users::org_id.eq(org))
        .filter(users::id.eq_any(&named))
        .filter(users::active)
        .filter(users::is_connection_user.eq(false))
        .select(users::id)
        .load(conn)
        .await?;
    if let Some(i) = named.iter().position(|id| !known.contains(id)) {
        return Err(ApiError::invalid_field(
            format!("member_ids[{i}]"),
            "not an active user of your org",
        ));
    }
    let mut members = Vec::new();
    for id in named {
        if !members.contains(&id) {
            members.push(id);
        }
    }
    Ok(members)
}

/// Adds `members` to the queue `queue`.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    queue: Uuid,
    members: &[Uuid],
) -> QueryResult<()> {
    let rows: Vec<_> = members
        .iter()
        .map(|user| {
            (
                queue_members::queue_id.eq(queue),
                queue_members::user_id.eq(*user),
            )
        })
        .collect();
    diesel::insert_into(queue_members::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes `members` the queue's only members.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    queue: Uuid,
    members: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(queue_members::table.filter(queue_members::queue_id.eq(queue)))
        .execute(conn)
        .await?;
    insert(conn, queue, members).await
}

/// The members of the queues `queues`, by user id, as (queue, user) pairs.
pub async fn of(conn: &mut AsyncPgConnection, queues: &[Uuid]) -> QueryResult<Vec<(Uuid, Uuid)>> {
    queue_members::table
        .filter(queue_members::queue_id.eq_any(queues))
        .order(queue_members::user_id)
        .select((queue_members::queue_id, queue_members::user_id))
        .load(conn)
        .await
}
