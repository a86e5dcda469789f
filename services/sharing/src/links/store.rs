//! Link rows as stored (`sharing.record_links`), and the record reads a forward needs from the
//! sync service's `sync.shareable_records` view.

use super::status::{Direction, Status};
use crate::schema::{record_links, shareable_records};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::ids::OrgId;
use std::collections::HashMap;
use uuid::Uuid;

/// A link row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = record_links)]
pub struct LinkRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub connection_id: Uuid,
    pub direction: String,
    pub object: String,
    pub local_record_id: String,
    pub partner_object: Option<String>,
    pub partner_record_id: Option<String>,
    pub parent_record_id: Option<String>,
    pub related_records: Value,
    pub send_closed_tasks: bool,
    pub send_open_tasks: bool,
    pub send_emails: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub status: String,
    pub forwarded_at: DateTime<Utc>,
}

impl LinkRow {
    pub fn status(&self) -> Option<Status> {
        Status::parse(&self.status)
    }
}

/// The org's record as the sync service holds it (live records only).
pub struct StoredRecord {
    pub fields: Map<String, Value>,
    pub private: bool,
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    record_id: &str,
) -> QueryResult<Option<StoredRecord>> {
    let row: Option<(Value, bool)> = shareable_records::table
        .find((org.as_uuid(), object, record_id))
        .select((shareable_records::fields, shareable_records::private))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(fields, private)| StoredRecord {
        fields: match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        private,
    }))
}

/// The org's live records among `wanted` (object, record id), by that key: one query for a
/// whole forward request.
pub async fn records(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    wanted: &[(String, String)],
) -> QueryResult<HashMap<(String, String), StoredRecord>> {
    let objects: Vec<&str> = wanted.iter().map(|(o, _)| o.as_str()).collect();
    let ids: Vec<&str> = wanted.iter().map(|(_, r)| r.as_str()).collect();
    let rows: Vec<(String, String, Value, bool)> = shareable_records::table
        .filter(shareable_records::org_id.eq(org.as_uuid()))
        .filter(shareable_records::object.eq_any(objects))
        .filter(shareable_records::record_id.eq_any(ids))
        .select((
            shareable_records::object,
            shareable_records::record_id,
            shareable_records::fields,
            shareable_records::private,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(object, record_id, fields, private)| {
            let fields = match fields {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            ((object, record_id), StoredRecord { fields, private })
        })
        .collect())
}

/// The org's links of the records `record_ids` on the connections, both directions.
pub async fn links_of(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_ids: &[Uuid],
    record_ids: &[&str],
) -> QueryResult<Vec<LinkRow>> {
    record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::connection_id.eq_any(connection_ids))
        .filter(record_links::local_record_id.eq_any(record_ids))
        .select(LinkRow::as_select())
        .load(conn)
        .await
}

/// The org's link of its record on a connection in one direction.
pub async fn one(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    direction: Direction,
    object: &str,
    record_id: &str,
) -> QueryResult<Option<LinkRow>> {
    record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::connection_id.eq(connection_id))
        .filter(record_links::direction.eq(direction.as_str()))
        .filter(record_links::object.eq(object))
        .filter(record_links::local_record_id.eq(record_id))
        .select(LinkRow::as_select())
        .first(conn)
        .await
        .optional()
}

#[derive(QueryableByName)]
struct Opened {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Opens the sender's link as `Pending (sent)`: a new row, or an ended one again. `None`
/// when a live link is there already (a concurrent forward won): nothing is sent twice.
pub async fn open_sent(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    object: &str,
    record_id: &str,
) -> QueryResult<Option<Uuid>> {
    let opened: Option<Opened> = diesel::sql_query(
        "INSERT INTO sharing.record_links \
             (id, org_id, connection_id, direction, object, local_record_id, status) \
         VALUES ($1, $2, $3, 'sent', $4, $5, 'Pending (sent)') \
         ON CONFLICT (org_id, connection_id, direction, object, local_record_id) DO UPDATE \
             SET status = 'Pending (sent)', partner_object = NULL, partner_record_id = NULL, \
                 start_date = NULL, end_date = NULL, forwarded_at = now(), updated_at = now() \
             WHERE record_links.status NOT IN ('Pending (sent)', 'Active (sent)') \
         RETURNING id",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(org.as_uuid())
    .bind::<SqlUuid, _>(connection_id)
    .bind::<Text, _>(object)
    .bind::<Text, _>(record_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(opened.map(|o| o.id))
}

/// What a received link starts with.
pub struct Received<'a> {
    pub org: OrgId,
    pub connection_id: Uuid,
    pub object: &'a str,
    pub local_record_id: &'a str,
    pub partner_object: &'a str,
    pub partner_record_id: &'a str,
    pub send_closed_tasks: bool,
    pub send_open_tasks: bool,
    pub send_emails: bool,
    pub start_date: DateTime<Utc>,
}

/// Writes the receiver's link as `Active (received)` (a row ended before becomes active again).
pub async fn open_received(conn: &mut AsyncPgConnection, link: &Received<'_>) -> QueryResult<()> {
    diesel::insert_into(record_links::table)
        .values((
            record_links::id.eq(Uuid::now_v7()),
            record_links::org_id.eq(link.org.as_uuid()),
            record_links::connection_id.eq(link.connection_id),
            record_links::direction.eq(Direction::Received.as_str()),
            record_links::object.eq(link.object),
            record_links::local_record_id.eq(link.local_record_id),
            record_links::partner_object.eq(link.partner_object),
            record_links::partner_record_id.eq(link.partner_record_id),
            record_links::send_closed_tasks.eq(link.send_closed_tasks),
            record_links::send_open_tasks.eq(link.send_open_tasks),
            record_links::send_emails.eq(link.send_emails),
            record_links::start_date.eq(link.start_date),
            record_links::status.eq(Status::ActiveReceived.as_str()),
        ))
        .on_conflict((
            record_links::org_id,
            record_links::connection_id,
            record_links::direction,
            record_links::object,
            record_links::local_record_id,
        ))
        .do_update()
        .set((
            record_links::partner_object.eq(link.partner_object),
            record_links::partner_record_id.eq(link.partner_record_id),
            record_links::start_date.eq(link.start_date),
            record_links::end_date.eq(None::<DateTime<Utc>>),
            record_links::status.eq(Status::ActiveReceived.as_str()),
            record_links::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The sender's link `id` of `org`, locked.
pub async fn sent_by_id(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
) -> QueryResult<Option<LinkRow>> {
    record_links::table
        .find(id)
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::direction.eq(Direction::Sent.as_str()))
        .select(LinkRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The partner accepted: the sender's link is active, naming the partner's record.
pub async fn activate_sent(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    partner_object: &str,
    partner_record_id: &str,
    start_date: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(record_links::table.find(id))
        .set((
            record_links::status.eq(Status::ActiveSent.as_str()),
            record_links::partner_object.eq(partner_object),
            record_links::partner_record_id.eq(partner_record_id),
            record_links::start_date.eq(start_date),
            record_links::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The link is no longer shared, since `end_date`.
pub async fn end(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: Status,
    end_date: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(record_links::table.find(id))
        .set((
            record_links::status.eq(status.as_str()),
            record_links::end_date.eq(end_date),
            record_links::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every link of the org's record, both directions, every connection.
pub async fn of_record(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    record_id: &str,
) -> QueryResult<Vec<LinkRow>> {
    record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::object.eq(object))
        .filter(record_links::local_record_id.eq(record_id))
        .select(LinkRow::as_select())
        .order(record_links::forwarded_at.asc())
        .load(conn)
        .await
}

/// The org's link to the partner's record `partner_record_id` of `partner_object` on a
/// connection (the latest, should there be more than one).
pub async fn by_partner_record(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    partner_object: &str,
    partner_record_id: &str,
) -> QueryResult<Option<LinkRow>> {
    record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::connection_id.eq(connection_id))
        .filter(record_links::partner_object.eq(partner_object))
        .filter(record_links::partner_record_id.eq(partner_record_id))
        .select(LinkRow::as_select())
        .order(record_links::updated_at.desc())
        .first(conn)
        .await
        .optional()
}
