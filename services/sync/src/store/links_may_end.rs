//! The changes that may end or move a record's shared links, published to the sharing service
//! beside their `record.changed.v1` (`shared::crm::link_fields` says which): the sharing
//! service then takes a delivery for these changes only, not for every field edit.

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use shared::crm::ObjectDef;
use shared::crm::link_fields::may_end_links_of;
use shared::message::Envelope;
use shared::message::events::sync::{RecordChangedV1, RecordLinksMayEndV1};

/// Whether `change`, of a record of `schema`, may end or move its links.
pub(crate) fn may_end(schema: Option<&ObjectDef>, change: &RecordChangedV1) -> bool {
    may_end_links_of(
        schema,
        &change.object,
        change.deleted,
        change.fields.keys().map(String::as_str),
    )
}

/// Puts `changes` in the outbox as [`RecordLinksMayEndV1`], each caused by its change (same
/// transaction as the change itself).
pub(crate) async fn enqueue(
    conn: &mut AsyncPgConnection,
    changes: &[&Envelope<RecordChangedV1>],
) -> QueryResult<()> {
    let events: Vec<Envelope<RecordLinksMayEndV1>> = changes
        .iter()
        .map(|c| Envelope::caused_by(c.org_id, RecordLinksMayEndV1(c.payload.clone()), &c.head()))
        .collect();
    shared::outbox::enqueue_many(conn, crate::NAME, &events).await
}
