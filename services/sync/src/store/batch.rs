//! The set-based write path: a run of upserts (of any orgs and objects) written with one schema
//! read and one locking read per (org, object), one multi-row upsert of the records and one
//! multi-row outbox insert, whatever the number of records.
//!
//! Each write is validated on its own: one that is refused changes nothing and does not stop
//! the others. Writes of one record apply in the run's order, in memory, each with a version and
//! a change of its own (so the change feed carries every change once, and the stored record is
//! the last one's result).

use super::read::RecordRow;
use super::write::Upsert;
use super::{FieldStamp, Mode, Outcome, WriteError};
use crate::schema::{record_lookups, records};
use crate::schemas;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::crm::values::{self, WriteKind};
use shared::crm::{FieldType, ObjectDef};
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::sync::{ChangedBy, RecordChangedV1};
use shared::message::{Envelope, EnvelopeHead};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One upsert of a run: whose record, and which message caused it (if any).
pub struct Write<'a> {
    pub org: OrgId,
    pub cause: Option<&'a EnvelopeHead>,
    pub input: Upsert<'a>,
}

/// Who writes the whole run.
pub struct Author<'a> {
    pub clock: &'a Clock,
    pub changed_by: &'a ChangedBy,
}

/// A record's state while the run is applied to it.
struct State {
    fields: Map<String, Value>,
    stamps: Map<String, Value>,
    version: i64,
    private: bool,
    deleted: bool,
}

impl From<RecordRow> for State {
    fn from(row: RecordRow) -> Self {
        let object = |value: Value| match value {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self {
            fields: object(row.fields),
            stamps: object(row.stamps),
            version: row.version,
            private: row.private,
            deleted: row.deleted,
        }
    }
}

type Key<'a> = (OrgId, &'a str, &'a str);

/// A lookup field whose value changed: its index row is rewritten.
struct LookupChange<'a> {
    key: Key<'a>,
    field: String,
    parent: String,
    parent_id: Option<String>,
}

/// Writes the run inside the caller's transaction: the records written stay locked until it
/// ends. Returns one outcome per write, in order; only a database failure fails the whole run.
pub async fn upsert_many(
    conn: &mut AsyncPgConnection,
    author: &Author<'_>,
    writes: &[Write<'_>],
) -> QueryResult<Vec<Result<Outcome, WriteError>>> {
    let schemas = read_schemas(conn, writes).await?;
    let mut states = lock(conn, writes, &schemas).await?;
    let mut results = Vec::with_capacity(writes.len());
    // Records to store, in the order they were first written.
    let mut dirty: Vec<Key<'_>> = Vec::new();
    let mut lookups = Vec::new();
    let mut changes = Vec::new();
    for write in writes {
        let input = &write.input;
        let Some(schema) = schemas
            .get(&(write.org, input.object))
            .and_then(Option::as_ref)
        else {
            results.push(Err(WriteError::UnknownObject(input.object.to_string())));
            continue;
        };
        let key = (write.org, input.object, input.record_id);
        let was_live = states.get(&key).is_some_and(|s| !s.deleted);
        let (state, changed) = match apply(author, write, schema, states.get(&key)) {
            Err(refused) => {
                results.push(Err(refused));
                continue;
            }
            Ok(Applied::Unchanged { version }) => {
                results.push(Ok(Outcome::Unchanged { version }));
                continue;
            }
            Ok(Applied::Changed { state, changed }) => (state, changed),
        };
        for (name, value) in &changed {
            if let Some(FieldType::Lookup { object: parent }) =
                schema.field(name).map(|f| &f.field_type)
            {
                lookups.push(LookupChange {
                    key,
                    field: name.clone(),
                    parent: parent.clone(),
                    parent_id: value.as_str().map(str::to_owned),
                });
            }
        }
        let version = state.version;
        changes.push(change(author, write, version, changed));
        if !dirty.contains(&key) {
            dirty.push(key);
        }
        states.insert(key, state);
        results.push(Ok(if was_live {
            Outcome::Updated { version }
        } else {
            Outcome::Created { version }
        }));
    }
    store(conn, author, &dirty, &states).await?;
    keep_lookups(conn, &lookups).await?;
    shared::outbox::enqueue_many(conn, crate::NAME, &changes).await?;
    Ok(results)
}

/// A write applied in memory.
enum Applied {
    /// Nothing changed: nothing stored, nothing published.
    Unchanged { version: i64 },
    /// The record's next state, and the fields the write changed.
    Changed {
        state: State,
        changed: Map<String, Value>,
    },
}

/// Validates `write` against the schema and the record's current state (a tombstone counts as
/// no record, but its version goes on) and computes the next state.
fn apply(
    author: &Author<'_>,
    write: &Write<'_>,
    schema: &ObjectDef,
    current: Option<&State>,
) -> Result<Applied, WriteError> {
    let input = &write.input;
    let live = current.filter(|s| !s.deleted);
    match (input.mode, live) {
        (Mode::CreateOnly, Some(_)) => {
            return Err(WriteError::AlreadyExists(input.record_id.to_string()));
        }
        (Mode::UpdateOnly, None) => return Err(WriteError::NotFound(input.record_id.to_string())),
        _ => {}
    }
    let kind = if live.is_some() {
        WriteKind::Update
    } else {
        WriteKind::Create
    };
    let canonical = values::validate(schema, input.fields, kind).map_err(WriteError::Invalid)?;
    let empty = Map::new();
    let old_fields = live.map_or(&empty, |s| &s.fields);
    let changed: Map<String, Value> = canonical
        .into_iter()
        .filter(|(name, value)| old_fields.get(name).unwrap_or(&Value::Null) != value)
        .collect();
    let old_private = live.is_some_and(|s| s.private);
    let private = input.private.unwrap_or(old_private);
    if let Some(s) = live
        && changed.is_empty()
        && private == old_private
    {
        return Ok(Applied::Unchanged { version: s.version });
    }
    let mut fields = old_fields.clone();
    for (name, value) in &changed {
        if value.is_null() {
            fields.remove(name);
        } else {
            fields.insert(name.clone(), value.clone());
        }
    }
    let old_stamps = live.map_or(&empty, |s| &s.stamps);
    let stamps = stamp(author.clock, write.org, old_stamps, &changed);
    Ok(Applied::Changed {
        state: State {
            fields,
            stamps,
            version: current.map_or(0, |s| s.version) + 1,
            private,
            deleted: false,
        },
        changed,
    })
}

/// The stamps after a write: new ones for the changed fields, the old ones for the rest.
fn stamp(
    clock: &Clock,
    org: OrgId,
    old: &Map<String, Value>,
    changed: &Map<String, Value>,
) -> Map<String, Value> {
    let mut stamps = old.clone();
    for name in changed.keys() {
        let floor = stamps
            .get(name)
            .and_then(|s| serde_json::from_value::<FieldStamp>(s.clone()).ok())
            .map(|s| s.stamp);
        let stamp = FieldStamp {
            stamp: clock.after(floor),
            origin: org.as_uuid(),
        };
        if let Ok(value) = serde_json::to_value(stamp) {
            stamps.insert(name.clone(), value);
        }
    }
    stamps
}

/// The change, for the org's change feed.
fn change(
    author: &Author<'_>,
    write: &Write<'_>,
    version: i64,
    fields: Map<String, Value>,
) -> Envelope<RecordChangedV1> {
    let change = RecordChangedV1 {
        object: write.input.object.to_string(),
        record_id: write.input.record_id.to_string(),
        version,
        deleted: false,
        fields,
        touched: false,
        changed_by: author.changed_by.clone(),
        changed_at: Utc::now(),
    };
    match write.cause {
        Some(cause) => Envelope::caused_by(write.org, change, cause),
        None => Envelope::new(write.org, change),
    }
}

/// The effective schema of each (org, object) of the run, read once.
async fn read_schemas<'a>(
    conn: &mut AsyncPgConnection,
    writes: &[Write<'a>],
) -> QueryResult<BTreeMap<(OrgId, &'a str), Option<ObjectDef>>> {
    let mut schemas = BTreeMap::new();
    for write in writes {
        let pair = (write.org, write.input.object);
        if let Entry::Vacant(slot) = schemas.entry(pair) {
            slot.insert(schemas::effective(conn, pair.0, pair.1).await?);
        }
    }
    Ok(schemas)
}

/// Reads and locks the run's existing records (tombstones too), one statement per (org,
/// object), always in (org, object, record id) order so that two runs cannot deadlock.
async fn lock<'a>(
    conn: &mut AsyncPgConnection,
    writes: &[Write<'a>],
    schemas: &BTreeMap<(OrgId, &'a str), Option<ObjectDef>>,
) -> QueryResult<HashMap<Key<'a>, State>> {
    let mut ids: BTreeMap<(OrgId, &'a str), BTreeSet<&'a str>> = BTreeMap::new();
    for write in writes {
        let pair = (write.org, write.input.object);
        if schemas.get(&pair).is_some_and(Option::is_some) {
            ids.entry(pair).or_default().insert(write.input.record_id);
        }
    }
    let mut states = HashMap::new();
    for ((org, object), record_ids) in ids {
        let record_ids: Vec<&str> = record_ids.into_iter().collect();
        let rows: Vec<RecordRow> = records::table
            .filter(records::org_id.eq(org.as_uuid()))
            .filter(records::object.eq(object))
            .filter(records::record_id.eq_any(&record_ids))
            .order(records::record_id.asc())
            .select(RecordRow::as_select())
            .for_update()
            .load(conn)
            .await?;
        for row in rows {
            // The key borrows the run's strings, not the row's.
            if let Some(id) = record_ids.iter().find(|id| **id == row.record_id) {
                states.insert((org, object, *id), State::from(row));
            }
        }
    }
    Ok(states)
}

/// One statement for every record the run changed: its last state.
async fn store(
    conn: &mut AsyncPgConnection,
    author: &Author<'_>,
    dirty: &[Key<'_>],
    states: &HashMap<Key<'_>, State>,
) -> QueryResult<()> {
    if dirty.is_empty() {
        return Ok(());
    }
    let changed_by = serde_json::to_value(author.changed_by)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let mut rows = StoreMany {
        changed_by,
        at: Utc::now(),
        ..StoreMany::default()
    };
    for key in dirty {
        let Some(state) = states.get(key) else {
            continue;
        };
        rows.orgs.push(key.0.as_uuid());
        rows.objects.push(key.1.to_string());
        rows.ids.push(key.2.to_string());
        rows.owners.push(
            state
                .fields
                .get("OwnerId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
        rows.fields.push(Value::Object(state.fields.clone()));
        rows.stamps.push(Value::Object(state.stamps.clone()));
        rows.versions.push(state.version);
        rows.privates.push(state.private);
        rows.deleted.push(state.deleted);
    }
    rows.execute(conn).await?;
    Ok(())
}

/// Rewrites the lookup index rows of the lookup fields that changed, in the run's order.
async fn keep_lookups(
    conn: &mut AsyncPgConnection,
    lookups: &[LookupChange<'_>],
) -> QueryResult<()> {
    for change in lookups {
        let (org, object, record_id) = change.key;
        diesel::delete(
            record_lookups::table
                .filter(record_lookups::org_id.eq(org.as_uuid()))
                .filter(record_lookups::object.eq(object))
                .filter(record_lookups::record_id.eq(record_id))
                .filter(record_lookups::field.eq(&change.field)),
        )
        .execute(conn)
        .await?;
        if let Some(parent_id) = &change.parent_id {
            diesel::insert_into(record_lookups::table)
                .values((
                    record_lookups::org_id.eq(org.as_uuid()),
                    record_lookups::object.eq(object),
                    record_lookups::record_id.eq(record_id),
                    record_lookups::field.eq(&change.field),
                    record_lookups::parent_object.eq(&change.parent),
                    record_lookups::parent_id.eq(parent_id),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// The multi-row upsert of [`store`]: arrays unnested, so the SQL is the same whatever the
/// count and each pooled connection prepares it once.
#[derive(Default)]
struct StoreMany {
    orgs: Vec<uuid::Uuid>,
    objects: Vec<String>,
    ids: Vec<String>,
    owners: Vec<Option<String>>,
    fields: Vec<Value>,
    stamps: Vec<Value>,
    versions: Vec<i64>,
    privates: Vec<bool>,
    deleted: Vec<bool>,
    changed_by: Value,
    at: DateTime<Utc>,
}

impl diesel::query_builder::QueryId for StoreMany {
    type QueryId = StoreMany;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for StoreMany {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Bool, Int8, Jsonb, Nullable, Text, Timestamptz, Uuid};
        out.push_sql(
            "INSERT INTO sync.records (org_id, object, record_id, owner, fields, stamps, version, \
             private, deleted, last_modified_by, last_modified_at) SELECT r.*, ",
        );
        out.push_bind_param::<Jsonb, _>(&self.changed_by)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.at)?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<Uuid>, _>(&self.orgs)?;
        out.push_sql("::uuid[], ");
        out.push_bind_param::<Array<Text>, _>(&self.objects)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(&self.ids)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.owners)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Jsonb>, _>(&self.fields)?;
        out.push_sql("::jsonb[], ");
        out.push_bind_param::<Array<Jsonb>, _>(&self.stamps)?;
        out.push_sql("::jsonb[], ");
        out.push_bind_param::<Array<Int8>, _>(&self.versions)?;
        out.push_sql("::int8[], ");
        out.push_bind_param::<Array<Bool>, _>(&self.privates)?;
        out.push_sql("::bool[], ");
        out.push_bind_param::<Array<Bool>, _>(&self.deleted)?;
        out.push_sql(
            "::bool[]) AS r ON CONFLICT (org_id, object, record_id) DO UPDATE SET \
             owner = excluded.owner, fields = excluded.fields, stamps = excluded.stamps, \
             version = excluded.version, private = excluded.private, deleted = excluded.deleted, \
             last_modified_by = excluded.last_modified_by, \
             last_modified_at = excluded.last_modified_at",
        );
        Ok(())
    }
}
