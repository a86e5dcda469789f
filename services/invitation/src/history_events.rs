//! Events of other services that become connection history entries: emails sent or failed,
//! published fields changed, a forwarded record refused on accept, a partner update that could
//! not be applied. Each event type says what its entry is ([`IntoHistory`]); one handler checks
//! that the connection belongs to the event's org and records the entry.

use crate::history::{Kind, NewEntry, checked_connection, record};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::ConnectionId;
use shared::message::events::notification::{EmailFailedV1, EmailSentV1};
use shared::message::events::sharing::{AcceptMode, PublicationsChangedV1, RecordAcceptFailedV1};
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::message::{Envelope, Message};

/// What an event writes into the history.
pub struct Entry {
    pub kind: Kind,
    pub summary: String,
    pub detail: Value,
    pub occurred_at: DateTime<Utc>,
}

/// An event that becomes one history entry of the connection it names (if it names one).
pub trait IntoHistory: Message {
    fn connection(&self) -> Option<ConnectionId>;
    fn entry(message: &Envelope<Self>) -> Entry;
}

/// Records any [`IntoHistory`] event. An event naming a connection that is not one of its org's
/// is refused for good (dead-lettered): one org never writes into another's history.
pub struct RecordInHistory;

impl<M: IntoHistory> Handler<M> for RecordInHistory {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<M>,
    ) -> Result<(), HandlerError> {
        let connection = message.payload.connection();
        let Some(connection_id) = checked_connection(conn, connection, message.org_id).await?
        else {
            return Ok(());
        };
        let entry = M::entry(message);
        record(
            conn,
            NewEntry {
                connection_id,
                kind: entry.kind,
                summary: entry.summary,
                detail: entry.detail,
                occurred_at: entry.occurred_at,
                source_message_id: Some(message.message_id.as_uuid()),
            },
        )
        .await?;
        Ok(())
    }
}

impl IntoHistory for EmailSentV1 {
    fn connection(&self) -> Option<ConnectionId> {
        self.connection_id
    }

    fn entry(message: &Envelope<Self>) -> Entry {
        let email = &message.payload;
        Entry {
            kind: Kind::EmailSent,
            summary: format!("Email \"{}\" sent to {}", email.subject, email.recipient),
            detail: json!({
                "email_id": email.email_id,
                "email_kind": email.email_kind,
                "recipient": email.recipient,
                "subject": email.subject,
            }),
            occurred_at: email.sent_at,
        }
    }
}

impl IntoHistory for EmailFailedV1 {
    fn connection(&self) -> Option<ConnectionId> {
        self.connection_id
    }

    fn entry(message: &Envelope<Self>) -> Entry {
        let email = &message.payload;
        Entry {
            kind: Kind::EmailFailed,
            summary: format!(
                "Email \"{}\" to {} failed: {}",
                email.subject, email.recipient, email.reason
            ),
            detail: json!({
                "email_id": email.email_id,
                "email_kind": email.email_kind,
                "recipient": email.recipient,
                "subject": email.subject,
                "reason": email.reason,
            }),
            occurred_at: email.failed_at,
        }
    }
}

impl IntoHistory for PublicationsChangedV1 {
    fn connection(&self) -> Option<ConnectionId> {
        Some(self.connection_id)
    }

    fn entry(message: &Envelope<Self>) -> Entry {
        let change = &message.payload;
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
        let what = if parts.is_empty() {
            "no change".to_string()
        } else {
            parts.join("; ")
        };
        Entry {
            kind: Kind::PublishedFieldsChanged,
            summary: format!(
                "{} changed what it publishes: {what}",
                change.publisher_org_name
            ),
            detail: json!({
                "publisher_org_id": message.org_id,
                "objects_published": change.objects_published,
                "objects_unpublished": change.objects_unpublished,
                "changes": change.changes,
            }),
            occurred_at: message.occurred_at,
        }
    }
}

impl IntoHistory for RecordAcceptFailedV1 {
    fn connection(&self) -> Option<ConnectionId> {
        Some(self.connection_id)
    }

    fn entry(message: &Envelope<Self>) -> Entry {
        let failure = &message.payload;
        // Two kinds, as S2S shows them apart: an error on a record accepted by hand, and one
        // on a record accepted automatically.
        let (kind, mode) = match failure.mode {
            AcceptMode::ByHand => (Kind::RecordAcceptFailed, "by hand"),
            AcceptMode::Automatically => (Kind::RecordAutoAcceptFailed, "automatically"),
        };
        Entry {
            kind,
            summary: format!(
                "{} {} could not be accepted {mode}: {}",
                failure.object, failure.record_id, failure.error
            ),
            detail: json!({
                "mode": failure.mode,
                "object": failure.object,
                "record_id": failure.record_id,
                "error": failure.error,
            }),
            occurred_at: failure.failed_at,
        }
    }
}

impl IntoHistory for SyncUpdateFailedV1 {
    fn connection(&self) -> Option<ConnectionId> {
        Some(self.connection_id)
    }

    fn entry(message: &Envelope<Self>) -> Entry {
        let failure = &message.payload;
        Entry {
            kind: Kind::RecordUpdateFailed,
            summary: format!(
                "The Connection User could not update {} \"{}\" after {} attempts: {}",
                failure.object, failure.record_name, failure.attempts, failure.error
            ),
            detail: json!({
                "object": failure.object,
                "record_id": failure.record_id,
                "record_name": failure.record_name,
                "error": failure.error,
                "attempts": failure.attempts,
            }),
            occurred_at: failure.failed_at,
        }
    }
}
