//! The child records a forward sends with its records: the records of the chosen related
//! objects whose lookup names a forwarded record (an Account's Contacts), and the open and/or
//! closed tasks of the record and of each of those children, at most [`children::TASK_LIMIT`]
//! per record (see [`children::chosen_tasks`]); a child's tasks are keyed by the child.
//! Read from the sync service's `sync.shareable_records` view, one query per related object,
//! parent object and lookup for the whole request.

use super::rules::children::{self, TASK};
use super::store::{self, StoredRecord};
use crate::objects::store as objects;
use diesel_async::AsyncPgConnection;
use shared::ids::OrgId;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A child of a forwarded record.
pub struct Child {
    pub object: String,
    pub record_id: String,
    pub record: StoredRecord,
    /// The child's lookup naming the parent (`AccountId`, `WhatId`).
    pub lookup: String,
    /// A task past the limit of its record: reported, never sent.
    pub over_limit: bool,
}

/// What to send with each record.
pub struct Wanted<'a> {
    pub related_objects: &'a [String],
    pub open_tasks: bool,
    pub closed_tasks: bool,
}

/// The children of the forwarded records `parents` ((object, record id)), by parent.
pub async fn of(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    parents: &[(String, String)],
    wanted: &Wanted<'_>,
) -> diesel::QueryResult<HashMap<(String, String), Vec<Child>>> {
    let mut by_parent: HashMap<(String, String), Vec<Child>> = HashMap::new();
    let mut parent_ids: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (object, id) in parents {
        parent_ids.entry(object).or_default().push(id);
    }
    for related in wanted.related_objects {
        let found = related_of(conn, org, related, &parent_ids).await?;
        for (parent, list) in found {
            for (lookup, record_id, record) in list {
                by_parent.entry(parent.clone()).or_default().push(Child {
                    object: related.clone(),
                    record_id,
                    record,
                    lookup,
                    over_limit: false,
                });
            }
        }
    }
    if wanted.open_tasks || wanted.closed_tasks {
        // The tasks of the records and of their children (an account's contacts' tasks), each
        // under the record it hangs off; a task of both a record and its child goes once, with
        // the record.
        let child_keys: Vec<(String, String)> = by_parent
            .values()
            .flatten()
            .map(|c| (c.object.clone(), c.record_id.clone()))
            .collect();
        let mut task_parents = parent_ids.clone();
        for (object, id) in &child_keys {
            task_parents.entry(object).or_default().push(id);
        }
        let mut found: Vec<_> = related_of(conn, org, TASK, &task_parents)
            .await?
            .into_iter()
            .collect();
        // The records' own tasks first.
        found.sort_by_key(|(parent, _)| !parents.contains(parent));
        let mut taken: HashSet<String> = HashSet::new();
        for (parent, mut list) in found {
            list.retain(|(_, id, _)| !taken.contains(id));
            taken.extend(list.iter().map(|(_, id, _)| id.clone()));
            let pairs: Vec<(String, serde_json::Map<String, serde_json::Value>)> = list
                .iter()
                .map(|(_, id, r)| (id.clone(), r.fields.clone()))
                .collect();
            let (sent, over) =
                children::chosen_tasks(&pairs, wanted.open_tasks, wanted.closed_tasks);
            let (sent, over): (Vec<String>, Vec<String>) = (
                sent.into_iter().map(str::to_string).collect(),
                over.into_iter().map(str::to_string).collect(),
            );
            for (lookup, record_id, record) in list {
                let over_limit = over.contains(&record_id);
                if !over_limit && !sent.contains(&record_id) {
                    continue;
                }
                by_parent.entry(parent.clone()).or_default().push(Child {
                    object: TASK.to_string(),
                    record_id,
                    record,
                    lookup,
                    over_limit,
                });
            }
        }
    }
    for list in by_parent.values_mut() {
        list.sort_by(|a, b| (&a.object, &a.record_id).cmp(&(&b.object, &b.record_id)));
    }
    Ok(by_parent)
}

/// Per parent (object, record id), its children of one object: (lookup, record id, record).
type ByParent = HashMap<(String, String), Vec<(String, String, StoredRecord)>>;

/// The records of `related` under each parent: (lookup, record id, record), one per record
/// and parent even when two of its lookups name the parent (a task's WhatId and WhoId).
async fn related_of(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    related: &str,
    parent_ids: &BTreeMap<&str, Vec<&str>>,
) -> diesel::QueryResult<ByParent> {
    let mut found = ByParent::new();
    let Some(definition) = objects::one(conn, org, related).await? else {
        return Ok(found);
    };
    for (parent_object, ids) in parent_ids {
        let lookups = children::parent_lookups(&definition.fields, parent_object);
        for lookup in lookups {
            let rows = store::children_by(conn, org, related, lookup, ids).await?;
            for (record_id, record) in rows {
                let Some(parent_id) = record
                    .fields
                    .get(lookup)
                    .and_then(serde_json::Value::as_str)
                else {
                    continue;
                };
                let key = (parent_object.to_string(), parent_id.to_string());
                let list = found.entry(key).or_default();
                if list.iter().any(|(_, id, _)| *id == record_id) {
                    continue;
                }
                list.push((lookup.to_string(), record_id, record));
            }
        }
    }
    Ok(found)
}
