//! Link rows as stored (`sharing.record_links`), and the record reads a forward needs from the
//! sync service's `sync.shareable_records` view.

use super::rules::lookups::Copies;
use super::status::{Direction, Status};
use crate::schema::{record_links, shareable_records};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel::upsert::excluded;
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

/// The owners (a user's or a queue's id) of the org's live records among `wanted`, by
/// (object, record id); a record without an owner, or not found, is absent.
pub async fn owners(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    wanted: &[(String, String)],
) -> QueryResult<HashMap<(String, String), String>> {
    let objects: Vec<&str> = wanted.iter().map(|(o, _)| o.as_str()).collect();
    let ids: Vec<&str> = wanted.iter().map(|(_, r)| r.as_str()).collect();
    let rows: Vec<(String, String, Option<String>)> = shareable_records::table
        .filter(shareable_records::org_id.eq(org.as_uuid()))
        .filter(shareable_records::object.eq_any(objects))
        .filter(shareable_records::record_id.eq_any(ids))
        .select((
            shareable_records::object,
            shareable_records::record_id,
            shareable_records::owner,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(object, record_id, owner)| Some(((object, record_id), owner?)))
        .collect())
}

/// Records the partner's reason for not creating its copy of the sent link `link` (the last
/// one told wins).
pub async fn receiver_error(
    conn: &mut AsyncPgConnection,
    link: Uuid,
    error: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::schema::receiver_errors as r;
    diesel::insert_into(r::table)
        .values((
            r::link_id.eq(link),
            r::error.eq(error),
            r::reported_at.eq(at),
        ))
        .on_conflict(r::link_id)
        .do_update()
        .set((
            r::error.eq(excluded(r::error)),
            r::reported_at.eq(excluded(r::reported_at)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The partner's reasons for the links `links` it has not created a copy for, by link id.
pub async fn receiver_errors(
    conn: &mut AsyncPgConnection,
    links: &[Uuid],
) -> QueryResult<HashMap<Uuid, String>> {
    use crate::schema::receiver_errors as r;
    let rows: Vec<(Uuid, String)> = r::table
        .filter(r::link_id.eq_any(links))
        .select((r::link_id, r::error))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
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

/// The partner's copies, on the connection, of those of the org's records `record_ids` that
/// are shared there (an active link, either direction, naming the partner's record): what
/// lookups to them travel as.
pub async fn copies(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    record_ids: &[&str],
) -> QueryResult<Copies> {
    if record_ids.is_empty() {
        return Ok(Copies::new());
    }
    let active = [Status::ActiveSent.as_str(), Status::ActiveReceived.as_str()];
    let rows: Vec<(String, String, Option<String>)> = record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::connection_id.eq(connection_id))
        .filter(record_links::local_record_id.eq_any(record_ids))
        .filter(record_links::status.eq_any(active))
        .select((
            record_links::object,
            record_links::local_record_id,
            record_links::partner_record_id,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(object, id, copy)| Some(((object, id), copy?)))
        .collect())
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

/// What the sender's link opens with: a child's parent, what a parent sends with it.
#[derive(Debug, Clone, Default)]
pub struct Opening<'a> {
    /// The parent record (sender's id) a child travels with.
    pub parent_record_id: Option<&'a str>,
    /// The related objects chosen with the record (`["Contact"]`).
    pub related_records: Vec<String>,
    pub send_open_tasks: bool,
    pub send_closed_tasks: bool,
    pub send_emails: bool,
}

/// Opens the sender's link as `Pending (sent)`: a new row, or an ended one again. `None`
/// when a live link is there already (a concurrent forward won): nothing is sent twice.
pub async fn open_sent(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    object: &str,
    record_id: &str,
    opening: &Opening<'_>,
) -> QueryResult<Option<Uuid>> {
    let opened: Option<Opened> = diesel::sql_query(
        "INSERT INTO sharing.record_links \
             (id, org_id, connection_id, direction, object, local_record_id, status, \
              parent_record_id, related_records, send_open_tasks, send_closed_tasks, send_emails) \
         VALUES ($1, $2, $3, 'sent', $4, $5, 'Pending (sent)', $6, $7, $8, $9, $10) \
         ON CONFLICT (org_id, connection_id, direction, object, local_record_id) DO UPDATE \
             SET status = 'Pending (sent)', partner_object = NULL, partner_record_id = NULL, \
                 start_date = NULL, end_date = NULL, forwarded_at = now(), updated_at = now(), \
                 parent_record_id = EXCLUDED.parent_record_id, \
                 related_records = EXCLUDED.related_records, \
                 send_open_tasks = EXCLUDED.send_open_tasks, \
                 send_closed_tasks = EXCLUDED.send_closed_tasks, \
                 send_emails = EXCLUDED.send_emails \
             WHERE record_links.status NOT IN ('Pending (sent)', 'Active (sent)') \
         RETURNING id",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(org.as_uuid())
    .bind::<SqlUuid, _>(connection_id)
    .bind::<Text, _>(object)
    .bind::<Text, _>(record_id)
    .bind::<Nullable<Text>, _>(opening.parent_record_id)
    .bind::<Jsonb, _>(Value::from(opening.related_records.clone()))
    .bind::<Bool, _>(opening.send_open_tasks)
    .bind::<Bool, _>(opening.send_closed_tasks)
    .bind::<Bool, _>(opening.send_emails)
    .get_result(conn)
    .await
    .optional()?;
    Ok(opened.map(|o| o.id))
}

#[derive(QueryableByName)]
struct ChildRow {
    #[diesel(sql_type = Text)]
    record_id: String,
    #[diesel(sql_type = Jsonb)]
    fields: Value,
    #[diesel(sql_type = Bool)]
    private: bool,
}

/// The org's live records of `object` whose lookup `lookup` names one of `parent_ids`: the
/// children of those records (one query for a whole forward request).
pub async fn children_by(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    lookup: &str,
    parent_ids: &[&str],
) -> QueryResult<Vec<(String, StoredRecord)>> {
    let rows: Vec<ChildRow> = diesel::sql_query(
        "SELECT record_id, fields, private FROM sync.shareable_records \
         WHERE org_id = $1 AND object = $2 AND fields ->> $3 = ANY($4)",
    )
    .bind::<SqlUuid, _>(org.as_uuid())
    .bind::<Text, _>(object)
    .bind::<Text, _>(lookup)
    .bind::<Array<Text>, _>(parent_ids)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let fields = match r.fields {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            let record = StoredRecord {
                fields,
                private: r.private,
            };
            (r.record_id, record)
        })
        .collect())
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
    /// The org's parent record (the parent's copy) of a child record.
    pub parent_record_id: Option<&'a str>,
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
            record_links::parent_record_id.eq(link.parent_record_id),
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
            record_links::parent_record_id.eq(link.parent_record_id),
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

/// A record, as `(org, object, record id)`.
pub type RecordKey = (Uuid, String, String);

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Text)]
    object: String,
    #[diesel(sql_type = Text)]
    local_record_id: String,
}

/// Which of `records` have a link sent under a parent (a child shared with its parent), in
/// one statement. Every status counts: the caller reads the record's live links itself.
pub async fn sent_under_a_parent(
    conn: &mut AsyncPgConnection,
    records: &[RecordKey],
) -> QueryResult<std::collections::HashSet<RecordKey>> {
    if records.is_empty() {
        return Ok(Default::default());
    }
    let orgs: Vec<Uuid> = records.iter().map(|k| k.0).collect();
    let objects: Vec<&str> = records.iter().map(|k| k.1.as_str()).collect();
    let ids: Vec<&str> = records.iter().map(|k| k.2.as_str()).collect();
    let rows: Vec<KeyRow> = diesel::sql_query(
        "SELECT DISTINCT l.org_id, l.object, l.local_record_id \
         FROM sharing.record_links l \
         JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k(org_id, object, record_id) \
           ON l.org_id = k.org_id AND l.object = k.object AND l.local_record_id = k.record_id \
         WHERE l.direction = $4 AND l.parent_record_id IS NOT NULL",
    )
    .bind::<Array<SqlUuid>, _>(&orgs)
    .bind::<Array<Text>, _>(&objects)
    .bind::<Array<Text>, _>(&ids)
    .bind::<Text, _>(Direction::Sent.as_str())
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.org_id, r.object, r.local_record_id))
        .collect())
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
