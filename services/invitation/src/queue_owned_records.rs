//! Whether a queue owns records: the sync service's read-only view `sync.shareable_records`
//! (its live records with their `owner`, a user's or a queue's id), the contract sharing reads
//! to decide who may share a record. The invitation service only counts rows in it, to refuse
//! deleting a queue that still owns records (docs/roles-and-queues.md).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

diesel::table! {
    sync.shareable_records (org_id, object, record_id) {
        org_id -> Uuid,
        object -> Text,
        record_id -> Text,
        owner -> Nullable<Text>,
    }
}

/// How many live records of `org` the queue `queue` owns.
pub async fn count(conn: &mut AsyncPgConnection, org: Uuid, queue: Uuid) -> QueryResult<i64> {
    shareable_records::table
        .filter(shareable_records::org_id.eq(org))
        .filter(shareable_records::owner.eq(queue.to_string()))
        .count()
        .get_result(conn)
        .await
}
