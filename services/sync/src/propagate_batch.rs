//! Field sync, the sending side, the changes of one write at a time (see [`crate::propagate`]
//! for what propagating means). The changes are handled in order: a delete or a touch on
//! its own ([`record_event`]) in its place, and each run of field changes between them with set
//! statements, whatever its size:
//!
//! 1. One read of the active links of every record of the run. A change never goes back over
//!    the connection it came over, so a partner's update applied to a copy whose only link is
//!    the one it came over stops here, before any other statement (no echo). Its
//!    `record.changed` still reaches the org's change feed and sharing: only the propagation
//!    has nothing to do.
//! 2. One read of the records (their values and stamps now), one of the subscriptions to their
//!    objects, one schema read per (org, object), and the partner's copies of changed lookups
//!    (a statement per link, only when a lookup changed).
//! 3. Per record and link, the run's changes that go over the link coalesce into one update:
//!    the union of their changed fields with the values and stamps the record holds now. Nothing
//!    is lost: each change alone would also have sent the record's current values and stamps
//!    (the newest), and a later change's update carries every field an earlier one changed. The
//!    ledger keeps a row per change and link: the update, Queued, for the last change over the
//!    link, and for each earlier one a row Superseded at once (nothing sent of its own), with
//!    the fields it changed as they were sent and the carrying update named in `error`.
//! 4. One multi-row ledger insert and one multi-row outbox insert.
//!
//! The order per record is the writes': the record stays locked by the writing transaction
//! until it commits, so the updates of a later write of it are queued (and relayed) after these.
//! Any error fails the write that called it.

use crate::ledger::State;
use crate::ledger_batch::{self, Outcome};
use crate::lookups;
use crate::mappings::{self, Subscriber};
use crate::propagate::{Link, Lookups, Propagate, came_over, mapped, record_event};
use crate::record_events::Kind;
use crate::schemas;
use crate::store::read;
use diesel::QueryableByName;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::consumer::{BatchHandler, Context};
use shared::crm::ObjectDef;
use shared::error::HandlerError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::field_sync::FieldsUpdatedV1;
use shared::message::events::sync::RecordChangedV1;
use std::collections::HashMap;
use uuid::Uuid;

type Change = Envelope<RecordChangedV1>;

impl BatchHandler<RecordChangedV1> for Propagate {
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Change],
    ) -> Result<(), HandlerError> {
        Ok(propagate_changes(conn, messages).await?)
    }
}

/// Propagates `changes`, in order, inside the caller's transaction: the store calls it with
/// the changes it has just written, so that a change and the updates it causes commit together.
pub(crate) async fn propagate_changes(
    conn: &mut AsyncPgConnection,
    changes: &[&Change],
) -> diesel::QueryResult<()> {
    let mut run: Vec<&Change> = Vec::new();
    for &message in changes {
        let change = &message.payload;
        let kind = if change.deleted {
            Some(Kind::Delete)
        } else if change.touched {
            Some(Kind::Touch)
        } else {
            None
        };
        match kind {
            Some(kind) => {
                propagate_fields(conn, &run).await?;
                run.clear();
                record_event(conn, message, kind).await?;
            }
            None if !change.fields.is_empty() => run.push(message),
            None => {}
        }
    }
    propagate_fields(conn, &run).await
}

/// A record: (org, object, record id).
type Key<'a> = (OrgId, &'a str, &'a str);

/// The same, owned, to find a row of a set read.
type RowKey = (Uuid, String, String);

fn row_key(key: Key<'_>) -> RowKey {
    (key.0.as_uuid(), key.1.to_string(), key.2.to_string())
}

/// A record of the run, its changes in queue order, and the links they go over.
struct Changed<'a> {
    key: Key<'a>,
    changes: Vec<&'a Change>,
    links: Vec<Link>,
}

impl Changed<'_> {
    /// The changes that go over `link`: all but those that came over its connection.
    fn over(&self, link: &Link) -> Vec<&Change> {
        self.changes
            .iter()
            .copied()
            .filter(|c| came_over(&c.payload) != Some(link.connection_id))
            .collect()
    }
}

/// The run's records, in the order of their first change.
fn by_record<'a>(run: &[&'a Change]) -> Vec<Changed<'a>> {
    let mut records: Vec<Changed<'a>> = Vec::new();
    let mut index: HashMap<Key<'a>, usize> = HashMap::new();
    for &change in run {
        let key = (
            change.org_id,
            change.payload.object.as_str(),
            change.payload.record_id.as_str(),
        );
        let i = *index.entry(key).or_insert_with(|| {
            records.push(Changed {
                key,
                changes: Vec::new(),
                links: Vec::new(),
            });
            records.len() - 1
        });
        records[i].changes.push(change);
    }
    records
}

/// The union of the changed fields of `changes` (the values do not matter: the record's
/// current ones are sent).
fn union(changes: &[&Change]) -> Map<String, Value> {
    changes
        .iter()
        .flat_map(|c| c.payload.fields.iter())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// A ledger row to write: to whom, the update, and how it stands.
struct Row {
    receiver: OrgId,
    update: FieldsUpdatedV1,
    state: State,
    note: Option<String>,
}

/// What the run queues: the ledger rows and the updates to send.
#[derive(Default)]
struct Queued {
    rows: Vec<Row>,
    updates: Vec<Envelope<FieldsUpdatedV1>>,
}

/// The values, subscriptions and schemas of the run's records, read once.
struct Reads {
    values: HashMap<RowKey, read::Values>,
    subscribers: Vec<(OrgId, String, Subscriber)>,
    schemas: HashMap<(OrgId, String), Option<ObjectDef>>,
}

async fn propagate_fields(
    conn: &mut AsyncPgConnection,
    run: &[&Change],
) -> diesel::QueryResult<()> {
    if run.is_empty() {
        return Ok(());
    }
    let records = with_links(conn, by_record(run)).await?;
    if records.is_empty() {
        return Ok(());
    }
    let reads = read_all(conn, &records).await?;
    let mut queued = Queued::default();
    for record in &records {
        queue_record(conn, record, &reads, &mut queued).await?;
    }
    let outcomes: Vec<Outcome<'_>> = queued
        .rows
        .iter()
        .map(|row| Outcome {
            receiver: row.receiver,
            update: &row.update,
            state: row.state,
            attempted: false,
            error: row.note.clone(),
            overwritten: None,
        })
        .collect();
    if !outcomes.is_empty() {
        ledger_batch::finish_many(conn, &outcomes).await?;
    }
    shared::outbox::enqueue_many(conn, crate::NAME, &queued.updates).await
}

#[derive(diesel::QueryableByName)]
struct RecordLink {
    #[diesel(sql_type = sql_types::Uuid)]
    org_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    object: String,
    #[diesel(sql_type = sql_types::Text)]
    local_record_id: String,
    #[diesel(embed)]
    link: Link,
}

/// The records with the links (active, in sharing's view) their changes go over, read in one
/// statement; a record none of whose changes goes anywhere is left out.
async fn with_links<'a>(
    conn: &mut AsyncPgConnection,
    records: Vec<Changed<'a>>,
) -> diesel::QueryResult<Vec<Changed<'a>>> {
    let orgs: Vec<Uuid> = records.iter().map(|r| r.key.0.as_uuid()).collect();
    let objects: Vec<&str> = records.iter().map(|r| r.key.1).collect();
    let ids: Vec<&str> = records.iter().map(|r| r.key.2).collect();
    let rows: Vec<RecordLink> = diesel::sql_query(
        "SELECT l.org_id, l.object, l.local_record_id, l.id, l.connection_id, \
           l.partner_object, l.partner_record_id, l.partner_org_id \
         FROM sharing.synced_links l \
         JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k(org_id, object, record_id) \
           ON l.org_id = k.org_id AND l.object = k.object AND l.local_record_id = k.record_id \
         ORDER BY l.connection_id",
    )
    .bind::<sql_types::Array<sql_types::Uuid>, _>(&orgs)
    .bind::<sql_types::Array<sql_types::Text>, _>(&objects)
    .bind::<sql_types::Array<sql_types::Text>, _>(&ids)
    .load(conn)
    .await?;
    let mut links: HashMap<RowKey, Vec<Link>> = HashMap::new();
    for row in rows {
        let key = (row.org_id, row.object, row.local_record_id);
        links.entry(key).or_default().push(row.link);
    }
    Ok(records
        .into_iter()
        .filter_map(|mut record| {
            let mut links = links.remove(&row_key(record.key))?;
            links.retain(|link| !record.over(link).is_empty());
            record.links = links;
            (!record.links.is_empty()).then_some(record)
        })
        .collect())
}

async fn read_all(
    conn: &mut AsyncPgConnection,
    records: &[Changed<'_>],
) -> diesel::QueryResult<Reads> {
    let keys: Vec<Key<'_>> = records.iter().map(|r| r.key).collect();
    let values = read::values_of_many(conn, &keys)
        .await?
        .into_iter()
        .map(|v| ((v.org_id, v.object.clone(), v.record_id.clone()), v))
        .collect();
    let mut pairs: Vec<(OrgId, &str)> = keys.iter().map(|k| (k.0, k.1)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let subscribers = mappings::subscribers_of_many(conn, &pairs).await?;
    let mut schemas = HashMap::new();
    for (org, object) in pairs {
        let schema = schemas::effective(conn, org, object).await?;
        schemas.insert((org, object.to_string()), schema);
    }
    Ok(Reads {
        values,
        subscribers,
        schemas,
    })
}

/// One record's updates, one per link its changes go over and its partner subscribes to.
async fn queue_record(
    conn: &mut AsyncPgConnection,
    record: &Changed<'_>,
    reads: &Reads,
    queued: &mut Queued,
) -> diesel::QueryResult<()> {
    let (org, object, record_id) = record.key;
    let Some(row) = reads.values.get(&row_key(record.key)) else {
        return Ok(());
    };
    if row.deleted {
        return Ok(());
    }
    let empty = Map::new();
    let values = row.fields.as_object().unwrap_or(&empty);
    let stamps = row.stamps.as_object().unwrap_or(&empty);
    // Changed lookups travel as the partner's copies of the records they name.
    let schema = reads
        .schemas
        .get(&(org, object.to_string()))
        .and_then(Option::as_ref);
    let lookup_fields = lookups::changed_lookups(schema, &union(&record.changes));
    let named: Vec<&str> = lookup_fields
        .keys()
        .filter_map(|f| values.get(f)?.as_str())
        .collect();
    for link in &record.links {
        let Some(subscriber) = reads.subscribers.iter().find_map(|(p, o, s)| {
            (*p == org
                && o == object
                && s.connection_id == link.connection_id
                && s.subscriber_org_id.as_uuid() == link.partner_org_id)
                .then_some(s)
        }) else {
            continue;
        };
        let over = record.over(link);
        let Some((last, earlier)) = over.split_last() else {
            continue;
        };
        let copies = lookups::copies(conn, org, link.connection_id, &named).await?;
        let translation = Lookups {
            fields: &lookup_fields,
            copies: &copies,
        };
        let fields = mapped(subscriber, &union(&over), values, stamps, &translation);
        if fields.is_empty() {
            continue;
        }
        let update = FieldsUpdatedV1 {
            update_id: Uuid::now_v7(),
            connection_id: ConnectionId(link.connection_id),
            link_id: link.id,
            sender_org_id: org,
            sender_object: object.to_string(),
            sender_record_id: record_id.to_string(),
            object: link.partner_object.clone(),
            record_id: link.partner_record_id.clone(),
            fields,
        };
        let partner = OrgId(link.partner_org_id);
        for change in earlier {
            let fields = mapped(
                subscriber,
                &change.payload.fields,
                values,
                stamps,
                &translation,
            );
            if fields.is_empty() {
                continue;
            }
            queued.rows.push(Row {
                receiver: partner,
                update: FieldsUpdatedV1 {
                    update_id: Uuid::now_v7(),
                    fields,
                    ..update.clone()
                },
                state: State::Superseded,
                note: Some(format!(
                    "coalesced: sent with newer values in update {}",
                    update.update_id
                )),
            });
        }
        queued.rows.push(Row {
            receiver: partner,
            update: update.clone(),
            state: State::Queued,
            note: None,
        });
        queued
            .updates
            .push(Envelope::caused_by(partner, update, &last.head()));
    }
    Ok(())
}
