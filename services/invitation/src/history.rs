//! A connection's history: what happened to it, in order. Fed by this service's own actions and
//! by events from the other services (emails sent or failed, record errors).

use crate::schema::{connections, history};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::error::HandlerError;
use shared::ids::OrgId;
use uuid::Uuid;

/// The kinds of history entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Kind {
    StatusChanged,
    AccountChanged,
    ContactChanged,
    OwnerChanged,
    TemplateChanged,
    EmailSent,
    EmailFailed,
    PublishedFieldsChanged,
    /// A forwarded record accepted by hand could not be created.
    RecordAcceptFailed,
    /// A forwarded record accepted automatically (Auto-Accept) could not be created.
    RecordAutoAcceptFailed,
    /// An update by the Connection User could not be applied to a record.
    RecordUpdateFailed,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::StatusChanged,
        Kind::AccountChanged,
        Kind::ContactChanged,
        Kind::OwnerChanged,
        Kind::TemplateChanged,
        Kind::EmailSent,
        Kind::EmailFailed,
        Kind::PublishedFieldsChanged,
        Kind::RecordAcceptFailed,
        Kind::RecordAutoAcceptFailed,
        Kind::RecordUpdateFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StatusChanged => "StatusChanged",
            Kind::AccountChanged => "AccountChanged",
            Kind::ContactChanged => "ContactChanged",
            Kind::OwnerChanged => "OwnerChanged",
            Kind::TemplateChanged => "TemplateChanged",
            Kind::EmailSent => "EmailSent",
            Kind::EmailFailed => "EmailFailed",
            Kind::PublishedFieldsChanged => "PublishedFieldsChanged",
            Kind::RecordAcceptFailed => "RecordAcceptFailed",
            Kind::RecordAutoAcceptFailed => "RecordAutoAcceptFailed",
            Kind::RecordUpdateFailed => "RecordUpdateFailed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One entry to add.
pub struct NewEntry {
    pub connection_id: Uuid,
    pub kind: Kind,
    pub summary: String,
    pub detail: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// The event it was made from; a second entry from the same event is ignored.
    pub source_message_id: Option<Uuid>,
}

pub async fn record(conn: &mut AsyncPgConnection, entry: NewEntry) -> QueryResult<()> {
    diesel::insert_into(history::table)
        .values((
            history::connection_id.eq(entry.connection_id),
            history::kind.eq(entry.kind.as_str()),
            history::summary.eq(entry.summary),
            history::detail.eq(entry.detail),
            history::occurred_at.eq(entry.occurred_at),
            history::source_message_id.eq(entry.source_message_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// An entry, as the API shows it.
#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub connection_id: Uuid,
    /// `StatusChanged`, `EmailSent`, `EmailFailed`, ...
    pub kind: String,
    pub summary: String,
    pub detail: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// Which entries to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub kind: Option<Kind>,
    /// Entries that occurred at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries that occurred before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Entries after this one (a cursor).
    pub after: Option<i64>,
}

/// Entries of one connection matching `filter`, oldest first, at most `limit`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    filter: &Filter,
    limit: i64,
) -> QueryResult<Vec<EntryView>> {
    let mut query = history::table
        .filter(history::connection_id.eq(connection_id))
        .filter(history::id.gt(filter.after.unwrap_or(0)))
        .into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(history::kind.eq(kind.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(history::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(history::occurred_at.lt(to));
    }
    query
        .order(history::id)
        .limit(limit)
        .select((
            history::id,
            history::connection_id,
            history::kind,
            history::summary,
            history::detail,
            history::occurred_at,
        ))
        .load(conn)
        .await
}

/// Whether `org` is one of the connection's two sides.
async fn belongs_to(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    org: OrgId,
) -> QueryResult<bool> {
    let found: i64 = connections::table
        .filter(connections::id.eq(connection_id))
        .filter(crate::connection::visible_to(org))
        .count()
        .get_result(conn)
        .await?;
    Ok(found == 1)
}

/// An event about a connection must come from one of its sides; anything else is refused.
pub(crate) async fn checked_connection(
    conn: &mut AsyncPgConnection,
    connection_id: Option<shared::ids::ConnectionId>,
    org: OrgId,
) -> Result<Option<Uuid>, HandlerError> {
    let Some(id) = connection_id.map(|c| c.as_uuid()) else {
        return Ok(None);
    };
    if belongs_to(conn, id, org).await? {
        Ok(Some(id))
    } else {
        Err(HandlerError::permanent(format!(
            "connection {id} is not a connection of org {org}"
        )))
    }
}

/// A `StatusChanged` entry: `from` → `to`, done by `by_org`.
pub async fn record_status_change(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    from: &str,
    to: &str,
    by_org: OrgId,
    summary: String,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    record(
        conn,
        NewEntry {
            connection_id,
            kind: Kind::StatusChanged,
            summary,
            detail: serde_json::json!({ "from": from, "to": to, "by_org_id": by_org }),
            occurred_at: at,
            source_message_id: None,
        },
    )
    .await
}
