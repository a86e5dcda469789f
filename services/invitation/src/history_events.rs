//! Events of the sharing and sync services that become connection history entries: published
//! fields changed, a forwarded record refused on accept, a partner update that could not be
//! applied. Each event must come from one side of the connection it names.

use crate::history::{Kind, NewEntry, checked_connection, record};
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use shared::consumer::Handler;
use shared::error::HandlerError;
use shared::message::Envelope;
use shared::message::events::sharing::{AcceptMode, PublicationsChangedV1, RecordAcceptFailedV1};
use shared::message::events::sync::SyncUpdateFailedV1;

/// Writes `entry` for the event's connection, after checking it belongs to the event's org.
async fn into_history<M>(
    conn: &mut AsyncPgConnection,
    message: &Envelope<M>,
    connection_id: shared::ids::ConnectionId,
    entry: impl FnOnce(uuid::Uuid) -> NewEntry,
) -> Result<(), HandlerError> {
    if let Some(id) = checked_connection(conn, Some(connection_id), message.org_id).await? {
        record(conn, entry(id)).await?;
    }
    Ok(())
}

/// `sharing.publications_changed.v1` becomes a `PublishedFieldsChanged` entry.
pub struct PublicationsChangedIntoHistory;

impl Handler<PublicationsChangedV1> for PublicationsChangedIntoHistory {
    fn handle<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        message: &'a Envelope<PublicationsChangedV1>,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let change = &message.payload;
            into_history(conn, message, change.connection_id, |connection_id| {
                let mut parts = Vec::new();
                if !change.objects_published.is_empty() {
                    parts.push(format!("published {}", change.objects_published.join(", ")));
                }
                if !change.objects_unpublished.is_empty() {
                    parts.push(format!(
                        "stopped publishing {}",
                        change.objects_unpublished.join(", ")
                    ));
                }
                if !change.changes.is_empty() {
                    parts.push(format!(
                        "changed the fields of {} object(s)",
                        change.changes.len()
                    ));
                }
                NewEntry {
                    connection_id,
                    kind: Kind::PublishedFieldsChanged,
                    summary: format!(
                        "{} changed what it publishes: {}",
                        change.publisher_org_name,
                        if parts.is_empty() {
                            "no change".to_string()
                        } else {
                            parts.join("; ")
                        }
                    ),
                    detail: serde_json::json!({
                        "publisher_org_id": message.org_id,
                        "objects_published": change.objects_published,
                        "objects_unpublished": change.objects_unpublished,
                        "changes": change.changes,
                    }),
                    occurred_at: message.occurred_at,
                    source_message_id: Some(message.message_id.as_uuid()),
                }
            })
            .await
        })
    }
}

/// `sharing.record_accept_failed.v1` becomes a `RecordAcceptFailed` entry.
pub struct RecordAcceptFailedIntoHistory;

impl Handler<RecordAcceptFailedV1> for RecordAcceptFailedIntoHistory {
    fn handle<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        message: &'a Envelope<RecordAcceptFailedV1>,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let failure = &message.payload;
            into_history(conn, message, failure.connection_id, |connection_id| {
                let mode = match failure.mode {
                    AcceptMode::ByHand => "by hand",
                    AcceptMode::Automatically => "automatically",
                };
                NewEntry {
                    connection_id,
                    kind: Kind::RecordAcceptFailed,
                    summary: format!(
                        "{} {} could not be accepted {mode}: {}",
                        failure.object, failure.record_id, failure.error
                    ),
                    detail: serde_json::json!({
                        "mode": failure.mode,
                        "object": failure.object,
                        "record_id": failure.record_id,
                        "error": failure.error,
                    }),
                    occurred_at: failure.failed_at,
                    source_message_id: Some(message.message_id.as_uuid()),
                }
            })
            .await
        })
    }
}

/// `sync.update_failed.v1` becomes a `RecordUpdateFailed` entry.
pub struct SyncUpdateFailedIntoHistory;

impl Handler<SyncUpdateFailedV1> for SyncUpdateFailedIntoHistory {
    fn handle<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        message: &'a Envelope<SyncUpdateFailedV1>,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let failure = &message.payload;
            into_history(conn, message, failure.connection_id, |connection_id| {
                NewEntry {
                    connection_id,
                    kind: Kind::RecordUpdateFailed,
                    summary: format!(
                        "The Connection User could not update {} \"{}\" after {} attempts: {}",
                        failure.object, failure.record_name, failure.attempts, failure.error
                    ),
                    detail: serde_json::json!({
                        "object": failure.object,
                        "record_id": failure.record_id,
                        "record_name": failure.record_name,
                        "error": failure.error,
                        "attempts": failure.attempts,
                    }),
                    occurred_at: failure.failed_at,
                    source_message_id: Some(message.message_id.as_uuid()),
                }
            })
            .await
        })
    }
}
