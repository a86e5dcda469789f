//! The set-based write path: a run of upserts (of any orgs and objects) written with one schema
//! read and one locking read per (org, object), one multi-row upsert of the records and one
//! multi-row outbox insert, whatever the number of records.
//!
//! Each write is validated on its own: one that is refused changes nothing and does not stop
//! the others. Writes of one record apply in the run's order, in memory, each with a version and
//! a change of its own (so the change feed carries every change once, and the stored record is
//! the last one's result).
//!
//! A write may be a partner's update ([`Synced`], field sync): it takes only the fields whose
//! incoming stamp beats the record's (as the record stands after the run's earlier writes), the
//! fields it takes keep their incoming stamps and origins, and it is written by the Connection
//! User it names.

use super::read::RecordRow;
use super::write::Upsert;
use super::{FieldStamp, Mode, Outcome, WriteError};
use crate::apply_update::newer;
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
#[derive(Clone, Copy)]
pub struct Write<'a> {
    pub org: OrgId,
    pub cause: Option<&'a EnvelopeHead>,
    pub input: Upsert<'a>,
    /// A partner's update: see the module's doc. `None` for the org's own writes.
    pub synced: Option<Synced<'a>>,
}

/// A partner's update to a copy (its `input` is an update of all the fields it carries).
#[derive(Clone, Copy)]
pub struct Synced<'a> {
    /// The stamp and origin each field of the input came with.
    pub stamps: &'a BTreeMap<String, FieldStamp>,
    /// Who writes it (the Connection User for the connection it came over), instead of the
    /// run's author.
    pub changed_by: &'a ChangedBy,
}

/// A write's result, with what a [`Synced`] write took.
pub struct Written {
    pub outcome: Outcome,
    /// The fields a synced write took (its stamps beat the record's), with the values they
    /// replaced (`null`: none). Empty for the org's own writes, and for a synced write with
    /// nothing newer than the record (which then changes nothing).
    pub overwritten: Map<String, Value>,
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
    modified_by: Value,
    modified_at: DateTime<Utc>,
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
            modified_by: row.last_modified_by,
            modified_at: row.last_modified_at,
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
    let written = write_many(conn, author, writes).await?;
    Ok(written
        .into_iter()
        .map(|result| result.map(|w| w.outcome))
        .collect())
}

fn to_json(changed_by: &ChangedBy) -> QueryResult<Value> {
    serde_json::to_value(changed_by)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// [`upsert_many`], telling also what each [`Synced`] write took.
pub async fn write_many(
    conn: &mut AsyncPgConnection,
    author: &Author<'_>,
    writes: &[Write<'_>],
) -> QueryResult<Vec<Result<Written, WriteError>>> {
    let schemas = read_schemas(conn, writes).await?;
    let mut states = lock(conn, writes, &schemas).await?;
    let mut results = Vec::with_capacity(writes.len());
    // Records to store, in the order they were first written.
    let mut dirty: Vec<Key<'_>> = Vec::new();
    let mut lookups = Vec::new();
    let mut changes = Vec::new();
    // Which of `changes` may end or move links (for the sharing service).
    let mut may_end_links = Vec::new();
    let authored = to_json(author.changed_by)?;
    let now = Utc::now();
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
        // A synced write goes on with the fields it takes only.
        let taken = match &write.synced {
            None => None,
            Some(synced) => match states.get(&key).filter(|s| !s.deleted) {
                None => {
                    results.push(Err(WriteError::NotFound(input.record_id.to_string())));
                    continue;
                }
                Some(state) => {
                    let taken = take_newer(synced, input.fields, state);
                    if taken.values.is_empty() {
                        results.push(Ok(Written {
                            outcome: Outcome::Unchanged {
                                version: state.version,
                            },
                            overwritten: Map::new(),
                        }));
                        continue;
                    }
                    Some(taken)
                }
            },
        };
        let effective = match &taken {
            Some(taken) => Write {
                input: Upsert {
                    fields: &taken.values,
                    ..write.input
                },
                ..*write
            },
            None => *write,
        };
        let changed_by = write.synced.map_or(author.changed_by, |s| s.changed_by);
        let modified_by = match write.synced {
            Some(synced) => to_json(synced.changed_by)?,
            None => authored.clone(),
        };
        let overwritten = taken
            .as_ref()
            .map(|t| t.overwritten.clone())
            .unwrap_or_default();
        let applied = apply(author.clock, &effective, schema, states.get(&key));
        let (mut state, changed) = match applied {
            Err(refused) => {
                results.push(Err(refused));
                continue;
            }
            Ok(Applied::Unchanged { version }) => {
                // The values are the record's already; a synced write's stamps still move on.
                if let (Some(taken), Some(state)) = (&taken, states.get_mut(&key))
                    && keep_stamps(&mut state.stamps, &taken.stamps)
                    && !dirty.contains(&key)
                {
                    dirty.push(key);
                }
                results.push(Ok(Written {
                    outcome: Outcome::Unchanged { version },
                    overwritten,
                }));
                continue;
            }
            Ok(Applied::Changed { state, changed }) => (state, changed),
        };
        if let Some(taken) = &taken {
            keep_stamps(&mut state.stamps, &taken.stamps);
        }
        state.modified_by = modified_by;
        state.modified_at = now;
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
        let change = change(changed_by, write, version, changed);
        if super::links_may_end::may_end(Some(schema), &change.payload) {
            may_end_links.push(changes.len());
        }
        changes.push(change);
        if !dirty.contains(&key) {
            dirty.push(key);
        }
        states.insert(key, state);
        results.push(Ok(Written {
            outcome: if was_live {
                Outcome::Updated { version }
            } else {
                Outcome::Created { version }
            },
            overwritten,
        }));
    }
    store(conn, &dirty, &states).await?;
    keep_lookups(conn, &lookups).await?;
    shared::outbox::enqueue_many(conn, crate::NAME, &changes).await?;
    let ending: Vec<&Envelope<RecordChangedV1>> = may_end_links
        .iter()
        .filter_map(|i| changes.get(*i))
        .collect();
    super::links_may_end::enqueue(conn, &ending).await?;
    let changes: Vec<&Envelope<RecordChangedV1>> = changes.iter().collect();
    crate::propagate_batch::propagate_changes(conn, &changes).await?;
    Ok(results)
}

/// What a synced write takes of its input: the fields newer than the record's, with their
/// incoming stamps (as stored) and the values they replace.
struct Taken {
    values: Map<String, Value>,
    stamps: Map<String, Value>,
    overwritten: Map<String, Value>,
}

fn take_newer(synced: &Synced<'_>, fields: &Map<String, Value>, state: &State) -> Taken {
    let mut taken = Taken {
        values: Map::new(),
        stamps: Map::new(),
        overwritten: Map::new(),
    };
    for (name, value) in fields {
        let Some(incoming) = synced.stamps.get(name) else {
            continue;
        };
        let held = state
            .stamps
            .get(name)
            .and_then(|s| serde_json::from_value::<FieldStamp>(s.clone()).ok())
            .map(|s| (s.stamp, s.origin));
        if !newer((incoming.stamp, incoming.origin), held) {
            continue;
        }
        let Ok(stamp) = serde_json::to_value(incoming) else {
            continue;
        };
        taken.values.insert(name.clone(), value.clone());
        taken.stamps.insert(name.clone(), stamp);
        let old = state.fields.get(name).cloned().unwrap_or(Value::Null);
        taken.overwritten.insert(name.clone(), old);
    }
    taken
}

/// Sets the incoming stamps (the same value has the same version in every org); whether any
/// stamp changed.
fn keep_stamps(stamps: &mut Map<String, Value>, kept: &Map<String, Value>) -> bool {
    let mut moved = false;
    for (name, stamp) in kept {
        if stamps.get(name) != Some(stamp) {
            stamps.insert(name.clone(), stamp.clone());
            moved = true;
        }
    }
    moved
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
    clock: &Clock,
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
    let stamps = stamp(clock, write.org, old_stamps, &changed);
    Ok(Applied::Changed {
        state: State {
            fields,
            stamps,
            version: current.map_or(0, |s| s.version) + 1,
            private,
            deleted: false,
            // Set by the caller, who knows the writer.
            modified_by: Value::Null,
            modified_at: Utc::now(),
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
    changed_by: &ChangedBy,
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
        changed_by: changed_by.clone(),
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
    dirty: &[Key<'_>],
    states: &HashMap<Key<'_>, State>,
) -> QueryResult<()> {
    if dirty.is_empty() {
        return Ok(());
    }
    let mut rows = StoreMany::default();
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
        rows.modified_by.push(state.modified_by.clone());
        rows.modified_at.push(state.modified_at);
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
    modified_by: Vec<Value>,
    modified_at: Vec<DateTime<Utc>>,
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
             private, deleted, last_modified_by, last_modified_at) SELECT r.* FROM unnest(",
        );
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
        out.push_sql("::bool[], ");
        out.push_bind_param::<Array<Jsonb>, _>(&self.modified_by)?;
        out.push_sql("::jsonb[], ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.modified_at)?;
        out.push_sql(
            "::timestamptz[]) AS r ON CONFLICT (org_id, object, record_id) DO UPDATE SET \
             owner = excluded.owner, fields = excluded.fields, stamps = excluded.stamps, \
             version = excluded.version, private = excluded.private, deleted = excluded.deleted, \
             last_modified_by = excluded.last_modified_by, \
             last_modified_at = excluded.last_modified_at",
        );
        Ok(())
    }
}
