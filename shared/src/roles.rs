//! The org's role hierarchy and its queues of users (`identity.roles`, `identity.queues`).
//! A user with a role is *above* every user whose role descends from it (its children, their
//! children, ...): the S2S rule that a record may be shared by its owner or anyone above the
//! owner. A role's parent may change (invitation's `PUT /v1/roles/{id}`), never to the role
//! itself or a role below it, so there are no cycles; the queries here read the hierarchy and
//! a queue's members at request time. A queue is a named set of the org's users; an accepted
//! copy may be owned by one.

use crate::ids::{OrgId, UserId};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

diesel::table! {
    identity.roles (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        parent_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    identity.queues (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    identity.queue_members (queue_id, user_id) {
        queue_id -> Uuid,
        user_id -> Uuid,
    }
}

diesel::joinable!(queue_members -> queues (queue_id));
diesel::allow_tables_to_appear_in_same_query!(queues, queue_members);

#[derive(QueryableByName)]
struct Above {
    #[diesel(sql_type = Bool)]
    above: bool,
}

/// Whether `user` (active, of `org`) holds a role strictly above the role of `owner` (a user
/// of the same org). A peer (the same role) or a user without a role is not above anyone.
pub async fn is_above(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    user: UserId,
    owner: Uuid,
) -> QueryResult<bool> {
    let found: Above = diesel::sql_query(
        "WITH RECURSIVE above (id) AS ( \
             SELECT r.parent_id FROM identity.users u JOIN identity.roles r ON r.id = u.role_id \
             WHERE u.id = $3 AND u.org_id = $1 \
             UNION \
             SELECT r.parent_id FROM identity.roles r JOIN above a ON r.id = a.id \
         ) \
         SELECT EXISTS ( \
             SELECT 1 FROM above a JOIN identity.users me ON me.role_id = a.id \
             WHERE me.id = $2 AND me.org_id = $1 AND me.active \
         ) AS above",
    )
    .bind::<SqlUuid, _>(org.as_uuid())
    .bind::<SqlUuid, _>(user.as_uuid())
    .bind::<SqlUuid, _>(owner)
    .get_result(conn)
    .await?;
    Ok(found.above)
}

/// Whether `user` is a member of the queue `queue` of `org` (a queue's members share the
/// records it owns as their own).
pub async fn is_queue_member(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    user: UserId,
    queue: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        queue_members::table
            .inner_join(queues::table)
            .filter(queues::id.eq(queue))
            .filter(queues::org_id.eq(org.as_uuid()))
            .filter(queue_members::user_id.eq(user.as_uuid())),
    ))
    .get_result(conn)
    .await
}

/// Whether `queue` is a queue of `org`.
pub async fn queue_of_org(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    queue: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        queues::table
            .filter(queues::id.eq(queue))
            .filter(queues::org_id.eq(org.as_uuid())),
    ))
    .get_result(conn)
    .await
}
