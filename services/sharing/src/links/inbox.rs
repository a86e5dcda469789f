//! The receiver's inbox (`sharing.inbox`): records forwarded to the org and not accepted yet,
//! with the fields they would be created with. Accepting one (by hand, or automatically on
//! arrival) asks the sync service for the copy (`CopyRequestedV1`) and waits for its answer
//! (see [`super::answers`]); rejecting one removes it and tells the sender.

use crate::schema::inbox;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::links::{CopyRequestedV1, ParentRef, RecordHeldV1, RecordRejectedV1};
use shared::message::events::sharing::AcceptMode;
use uuid::Uuid;

/// Most entries in one accept or reject request, and in one page of the inbox.
pub const MAX_ITEMS: usize = 500;

/// An inbox entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbox)]
pub struct Entry {
    pub id: Uuid,
    pub org_id: Uuid,
    pub connection_id: Uuid,
    pub sender_link_id: Uuid,
    pub partner_object: String,
    pub partner_record_id: String,
    pub name: String,
    pub object: String,
    pub fields: Value,
    pub send_closed_tasks: bool,
    pub send_open_tasks: bool,
    pub send_emails: bool,
    pub state: String,
    pub mode: Option<String>,
    pub assign_to: Option<Uuid>,
    pub relate_to: Option<String>,
    pub error: Option<String>,
    pub arrived_at: DateTime<Utc>,
    /// A child record's parent on the partner's side, and the child's lookup to it.
    pub parent_object: Option<String>,
    pub parent_record_id: Option<String>,
    pub parent_lookup: Option<String>,
    /// The sender's currency, as its offer told it.
    pub sender_currency: Option<String>,
}

impl Entry {
    pub fn accepting(&self) -> bool {
        self.state == "accepting"
    }

    pub fn mode(&self) -> AcceptMode {
        match self.mode.as_deref() {
            Some("automatically") => AcceptMode::Automatically,
            _ => AcceptMode::ByHand,
        }
    }
}

fn mode_name(mode: AcceptMode) -> &'static str {
    match mode {
        AcceptMode::ByHand => "by_hand",
        AcceptMode::Automatically => "automatically",
    }
}

/// An offer as it arrives.
pub struct NewEntry<'a> {
    pub org: OrgId,
    pub connection_id: Uuid,
    pub sender_link_id: Uuid,
    pub partner_object: &'a str,
    pub partner_record_id: &'a str,
    pub name: &'a str,
    pub object: &'a str,
    pub fields: Map<String, Value>,
    pub send_closed_tasks: bool,
    pub send_open_tasks: bool,
    pub send_emails: bool,
    /// A child record's parent (the partner's record) and its lookup to it.
    pub parent: Option<&'a ParentRef>,
    pub sender_currency: Option<&'a str>,
}

/// Stores the offer; `None` when the same record waits from this connection already.
pub async fn add(conn: &mut AsyncPgConnection, entry: NewEntry<'_>) -> QueryResult<Option<Entry>> {
    diesel::insert_into(inbox::table)
        .values((
            inbox::id.eq(Uuid::now_v7()),
            inbox::org_id.eq(entry.org.as_uuid()),
            inbox::connection_id.eq(entry.connection_id),
            inbox::sender_link_id.eq(entry.sender_link_id),
            inbox::partner_object.eq(entry.partner_object),
            inbox::partner_record_id.eq(entry.partner_record_id),
            inbox::name.eq(entry.name),
            inbox::object.eq(entry.object),
            inbox::fields.eq(Value::Object(entry.fields)),
            inbox::send_closed_tasks.eq(entry.send_closed_tasks),
            inbox::send_open_tasks.eq(entry.send_open_tasks),
            inbox::send_emails.eq(entry.send_emails),
            inbox::state.eq("waiting"),
            inbox::parent_object.eq(entry.parent.map(|p| p.object.as_str())),
            inbox::parent_record_id.eq(entry.parent.map(|p| p.record_id.as_str())),
            inbox::parent_lookup.eq(entry.parent.map(|p| p.lookup.as_str())),
            inbox::sender_currency.eq(entry.sender_currency),
        ))
        .on_conflict_do_nothing()
        .returning(Entry::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// The org's entry `id`, locked.
pub async fn one(conn: &mut AsyncPgConnection, org: OrgId, id: Uuid) -> QueryResult<Option<Entry>> {
    inbox::table
        .find(id)
        .filter(inbox::org_id.eq(org.as_uuid()))
        .select(Entry::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The org's entries, by connection, object and arrival; optionally of one connection or object.
pub async fn list(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Option<Uuid>,
    object: Option<&str>,
) -> QueryResult<Vec<Entry>> {
    let mut query = inbox::table
        .filter(inbox::org_id.eq(org.as_uuid()))
        .select(Entry::as_select())
        .order((
            inbox::connection_id,
            inbox::object,
            inbox::arrived_at,
            inbox::id,
        ))
        .limit(MAX_ITEMS as i64)
        .into_boxed();
    if let Some(id) = connection_id {
        query = query.filter(inbox::connection_id.eq(id));
    }
    if let Some(object) = object {
        query = query.filter(inbox::object.eq(object.to_string()));
    }
    query.load(conn).await
}

/// How an entry is accepted: the assignee of the copy, or an existing record instead.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    pub assign_to: Option<Uuid>,
    pub relate_to: Option<String>,
    /// A child's lookup (the org's field) set to its parent's copy (the org's record id).
    pub parent: Option<(String, String)>,
    /// More fields the org sets on the copy (an opportunity product's price book entry).
    pub also: Map<String, Value>,
}

/// Marks the entry `accepting` and asks the sync service for the copy. The copy's record id
/// is the entry's id: a request retried after a failure names the same record.
pub async fn accept(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    mode: AcceptMode,
    how: &Acceptance,
) -> QueryResult<()> {
    diesel::update(inbox::table.find(entry.id))
        .set((
            inbox::state.eq("accepting"),
            inbox::mode.eq(mode_name(mode)),
            inbox::assign_to.eq(how.assign_to),
            inbox::relate_to.eq(&how.relate_to),
        ))
        .execute(conn)
        .await?;
    let request = CopyRequestedV1 {
        connection_id: ConnectionId(entry.connection_id),
        inbox_id: entry.id,
        object: entry.object.clone(),
        record_id: how
            .relate_to
            .clone()
            .unwrap_or_else(|| entry.id.to_string()),
        relate: how.relate_to.is_some(),
        fields: {
            let mut fields = match &entry.fields {
                Value::Object(map) => map.clone(),
                _ => Map::new(),
            };
            if let Some((lookup, parent_id)) = &how.parent {
                fields.insert(lookup.clone(), Value::String(parent_id.clone()));
            }
            fields.extend(how.also.clone());
            fields
        },
        owner: how.assign_to,
        mode,
    };
    let envelope = Envelope::new(OrgId(entry.org_id), request);
    shared::outbox::enqueue(conn, crate::NAME, &envelope).await
}

/// Removes the entry and tells the sender (`sender`: the partner org) it was rejected.
pub async fn reject(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    sender: OrgId,
    reason: Option<String>,
) -> QueryResult<()> {
    diesel::delete(inbox::table.find(entry.id))
        .execute(conn)
        .await?;
    let rejected = RecordRejectedV1 {
        connection_id: ConnectionId(entry.connection_id),
        sender_link_id: entry.sender_link_id,
        reason,
        rejected_at: Utc::now(),
    };
    shared::outbox::enqueue(conn, crate::NAME, &Envelope::new(sender, rejected)).await
}

/// The org's entries from the connection waiting for the partner's parent record
/// (`parent_object`, `parent_record_id`) to be accepted, locked.
pub async fn children_of(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    parent_object: &str,
    parent_record_id: &str,
) -> QueryResult<Vec<Entry>> {
    inbox::table
        .filter(inbox::org_id.eq(org.as_uuid()))
        .filter(inbox::connection_id.eq(connection_id))
        .filter(inbox::parent_object.eq(parent_object))
        .filter(inbox::parent_record_id.eq(parent_record_id))
        .filter(inbox::state.eq("waiting"))
        .select(Entry::as_select())
        .order(inbox::arrived_at)
        .for_update()
        .load(conn)
        .await
}

/// The copy was not created (the sync service refused it, or a product line's conditions do
/// not hold): the entry waits again, with the error, and the sender is told why
/// (`RecordHeldV1`, in the same transaction), so its pending link shows the reason.
pub async fn failed(conn: &mut AsyncPgConnection, entry: &Entry, error: &str) -> QueryResult<()> {
    diesel::update(inbox::table.find(entry.id))
        .set((inbox::state.eq("waiting"), inbox::error.eq(error)))
        .execute(conn)
        .await?;
    let org = OrgId(entry.org_id);
    let party = crate::connections::party_to(conn, org, entry.connection_id, false).await?;
    // A connection no longer known has no sender to tell.
    let Some(sender) = party.and_then(|(c, side)| c.partner_of(side)) else {
        return Ok(());
    };
    let held = RecordHeldV1 {
        connection_id: ConnectionId(entry.connection_id),
        sender_link_id: entry.sender_link_id,
        error: error.to_string(),
        held_at: Utc::now(),
    };
    shared::outbox::enqueue(conn, crate::NAME, &Envelope::new(OrgId(sender), held)).await
}

/// The copy exists: the entry has become a link.
pub async fn remove(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(inbox::table.find(id)).execute(conn).await?;
    Ok(())
}

/// An entry as the inbox route shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    pub connection_id: Uuid,
    /// The partner's object and record.
    pub partner_object: String,
    pub partner_record_id: String,
    /// The record's display name on the partner's side.
    pub name: String,
    /// Your object and the fields the copy would be created with.
    pub object: String,
    #[schema(value_type = Object)]
    pub fields: Value,
    /// `waiting`, or `accepting` while the copy is being made.
    pub state: String,
    /// How the current or last accept was made: `by_hand` or `automatically`.
    pub mode: Option<String>,
    /// Why the last accept failed (the copy broke one of your validation rules).
    pub error: Option<String>,
    pub arrived_at: DateTime<Utc>,
    /// A child record (a contact, a task): the partner's parent record it travels with. It
    /// waits until the parent is accepted, and is then created under the parent's copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_object: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_record_id: Option<String>,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            connection_id: e.connection_id,
            partner_object: e.partner_object,
            partner_record_id: e.partner_record_id,
            name: e.name,
            object: e.object,
            fields: e.fields,
            state: e.state,
            mode: e.mode,
            error: e.error,
            arrived_at: e.arrived_at,
            parent_object: e.parent_object,
            parent_record_id: e.parent_record_id,
        }
    }
}
