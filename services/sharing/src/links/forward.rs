//! The sender's forward: records to connections, a result per record and connection. Each pair
//! is planned by [`rules::plan`] from what the sharing service knows (the connection, the
//! sender's publications, the receiver's subscription, the record's links) and the record as
//! the sync service holds it (`sync.shareable_records`). A dry run stops there; a forward
//! opens the sender's link (`Pending (sent)`) and sends `RecordForwardedV1` to the receiving
//! org, in one transaction with every other pair of the request.

use super::authority::Authority;
use super::forward_children::{self, Wanted};
use super::rules::children;
use super::rules::lookups::Copies;
use super::rules::{self, Facts, Plan, Record, Refusal};
use super::status::Direction;
use super::store::{self, Opening};
use crate::connections::{self, Connection, Side};
use crate::objects::store as objects;
use crate::org_settings;
use crate::publications::change::current as published_set;
use crate::subscriptions::rules::Subscription;
use crate::subscriptions::store::{self as subscriptions, Key};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared::crm::FieldDef;
use shared::identity::Principal;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::links::{ParentRef, RecordForwardedV1};
use shared::message::events::sharing::{ForwardedRecord, RecordsForwardedV1};
use shared::validate::{self, Invalid};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Most records in one request.
pub const MAX_RECORDS: usize = 200;
/// Most connections in one request.
pub const MAX_CONNECTIONS: usize = 20;

/// Forward records to connections, or ask what a forward would do.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardRequest {
    /// 1 to 200 records of your org.
    pub records: Vec<RecordRef>,
    /// 1 to 20 connections (ids), each accepted and yours.
    #[schema(value_type = Vec<Uuid>)]
    pub connection_ids: Vec<String>,
    /// Answer what would be sent and what blocks each, changing nothing. Default false.
    #[serde(default)]
    pub dry_run: bool,
    /// Email the partner's contact about the records new to that connection (never twice for
    /// one record). Default false.
    #[serde(default)]
    pub send_email: bool,
    /// Related lists sent with each record: child objects whose lookup names the record
    /// (`Contact` with an Account). Each child is planned like a record (published,
    /// subscribed, ...) and travels with its parent; at most 10. Tasks are chosen below.
    #[serde(default)]
    pub related_objects: Vec<String>,
    /// Send each record's open tasks (`Status` other than `Completed`). At most 100 tasks of a
    /// record are sent, open and closed together.
    #[serde(default)]
    pub send_open_tasks: bool,
    /// Send each record's closed tasks (`Status` `Completed`).
    #[serde(default)]
    pub send_closed_tasks: bool,
}

/// Most related objects in one request.
pub const MAX_RELATED_OBJECTS: usize = 10;

/// The parent a child record travels with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParentView {
    pub object: String,
    pub record_id: String,
}

/// One of your records.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRef {
    /// The object's API name (`Account`, `Lead`).
    pub object: String,
    pub record_id: String,
}

/// What happened to one record on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sent: the link is `Pending (sent)` until the partner answers.
    Forwarded,
    /// A dry run: a forward would send it.
    WouldForward,
    /// The record is pending or active on the connection already: nothing sent again.
    AlreadyShared,
    /// Not sent; `refusal` says why.
    Refused,
}

/// The result for one record and connection.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForwardResult {
    pub object: String,
    pub record_id: String,
    pub connection_id: Uuid,
    pub outcome: Outcome,
    /// A child record's parent (the record of the request it travels with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentView>,
    /// The sender's link row (forwarded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// What is sent: the published fields' values (your API names).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub published_fields: Option<Map<String, Value>>,
    /// The partner's object the record arrives as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_object: Option<String>,
    /// What the partner's inbox shows: the values under the partner's field names.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub mapped_fields: Option<Map<String, Value>>,
}

/// Why a forward request was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A connection the org is no party to (or that does not exist), by its request field.
    #[error("{0}: no such connection")]
    NoConnection(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The request's connection ids and records, checked (422 naming the member otherwise).
pub fn checked(request: &ForwardRequest) -> Result<Vec<Uuid>, Invalid> {
    if request.records.is_empty() || request.records.len() > MAX_RECORDS {
        return Err(Invalid::new(
            "records",
            format!("must hold 1 to {MAX_RECORDS} records"),
        ));
    }
    if request.connection_ids.is_empty() || request.connection_ids.len() > MAX_CONNECTIONS {
        return Err(Invalid::new(
            "connection_ids",
            format!("must hold 1 to {MAX_CONNECTIONS} connections"),
        ));
    }
    for (i, record) in request.records.iter().enumerate() {
        validate::text(&format!("records[{i}].object"), &record.object, 255)?;
        validate::text(&format!("records[{i}].record_id"), &record.record_id, 255)?;
    }
    if request.related_objects.len() > MAX_RELATED_OBJECTS {
        return Err(Invalid::new(
            "related_objects",
            format!("must hold at most {MAX_RELATED_OBJECTS} objects"),
        ));
    }
    for (i, object) in request.related_objects.iter().enumerate() {
        let field = format!("related_objects[{i}]");
        validate::text(&field, object, 255)?;
        if object == children::TASK {
            return Err(Invalid::new(
                field,
                "tasks are chosen with send_open_tasks and send_closed_tasks",
            ));
        }
    }
    let mut ids = Vec::new();
    for (i, id) in request.connection_ids.iter().enumerate() {
        let id = validate::uuid(&format!("connection_ids[{i}]"), id)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// What the request's pairs depend on, per connection.
struct ConnectionFacts {
    connection: Connection,
    side: Side,
    published: BTreeMap<String, Vec<String>>,
    subscriptions: BTreeMap<String, Subscription>,
    /// The sending org's currency, told to the receiver with each offer.
    currency: String,
    /// The partner's copies of the records the request's lookups name.
    copies: Copies,
}

/// Call inside a transaction: plans every pair and, unless a dry run, forwards the plannable.
/// Each record of the request must be the caller's to forward ([`super::authority`]); its children
/// travel with it.
pub async fn forward(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    request: &ForwardRequest,
) -> Result<Vec<ForwardResult>, ForwardError> {
    let org = principal.org_id;
    let ids = checked(request)?;
    let mut facts = Vec::with_capacity(ids.len());
    let currency = org_settings::currency(conn, org).await?;
    for (i, id) in ids.iter().enumerate() {
        let (connection, side) = connections::party_to(conn, org, *id, false)
            .await?
            .ok_or_else(|| ForwardError::NoConnection(format!("connection_ids[{i}]")))?;
        let published = published_set(conn, *id, org.as_uuid()).await?;
        let subscriptions = match connection.partner_of(side) {
            Some(partner) => {
                let key = Key {
                    connection_id: *id,
                    org_id: partner,
                };
                subscriptions::all(conn, key).await?
            }
            None => BTreeMap::new(),
        };
        facts.push(ConnectionFacts {
            connection,
            side,
            published,
            subscriptions,
            currency: currency.clone(),
            copies: Copies::new(),
        });
    }
    let wanted: Vec<(String, String)> = request
        .records
        .iter()
        .map(|r| (r.object.clone(), r.record_id.clone()))
        .collect();
    let stored = store::records(conn, org, &wanted).await?;
    let owners = store::owners(conn, org, &wanted).await?;
    let mut authority = Authority::new(principal, request.records.len());
    let kids = forward_children::of(
        conn,
        org,
        &wanted,
        &Wanted {
            related_objects: &request.related_objects,
            open_tasks: request.send_open_tasks,
            closed_tasks: request.send_closed_tasks,
        },
    )
    .await?;
    let mut record_ids: Vec<&str> = wanted.iter().map(|(_, r)| r.as_str()).collect();
    record_ids.extend(kids.values().flatten().map(|c| c.record_id.as_str()));
    let links = store::links_of(conn, org, &ids, &record_ids).await?;
    let mut schemas: HashMap<String, Vec<FieldDef>> = HashMap::new();
    // The records the request's lookups name, as the partner's copies on each connection: one
    // query per connection for the whole request.
    let mut named: Vec<&str> = Vec::new();
    let all_records = stored
        .iter()
        .map(|((object, _), r)| (object.as_str(), r))
        .chain(
            kids.values()
                .flatten()
                .map(|c| (c.object.as_str(), &c.record)),
        );
    for (object, record) in all_records {
        if !schemas.contains_key(object) {
            let fields = objects::one(conn, org, object)
                .await?
                .map(|o| o.fields)
                .unwrap_or_default();
            schemas.insert(object.to_string(), fields);
        }
        let fields = schemas.get(object).map(Vec::as_slice).unwrap_or_default();
        named.extend(rules::lookup_values(&record.fields, fields));
    }
    named.sort_unstable();
    named.dedup();
    for f in &mut facts {
        f.copies = store::copies(conn, org, f.connection.id, &named).await?;
    }
    let mut results = Vec::new();
    // Per connection, the records forwarded that had never been sent on it: the email's list.
    let mut new_records: HashMap<Uuid, Vec<ForwardedRecord>> = HashMap::new();
    let parent_opening = Opening {
        parent_record_id: None,
        related_records: request.related_objects.clone(),
        send_open_tasks: request.send_open_tasks,
        send_closed_tasks: request.send_closed_tasks,
        send_emails: request.send_email,
    };
    for record_ref in &request.records {
        let (object, record_id) = (record_ref.object.as_str(), record_ref.record_id.as_str());
        let key = (object.to_string(), record_id.to_string());
        let children = kids.get(&key).map(Vec::as_slice).unwrap_or_default();
        let owner = owners.get(&key).map(String::as_str);
        let unauthorized = authority.refusal(conn, owner).await?;
        for f in &facts {
            let parent = One {
                object,
                record_id,
                record: stored.get(&key),
                parent: None,
                over_limit: false,
                unauthorized: unauthorized.as_ref(),
            };
            let (result, new) = one(
                conn,
                org,
                f,
                &links,
                &mut schemas,
                request.dry_run,
                &parent,
                &parent_opening,
            )
            .await?;
            let parent_goes = result.outcome != Outcome::Refused;
            if let Some(name) = new {
                new_records
                    .entry(f.connection.id)
                    .or_default()
                    .push(ForwardedRecord {
                        object: object.to_string(),
                        record_id: record_id.to_string(),
                        name,
                    });
            }
            results.push(result);
            if !parent_goes {
                // A child travels only with (or after) its parent.
                continue;
            }
            for child in children {
                let via = ParentRef {
                    object: object.to_string(),
                    record_id: record_id.to_string(),
                    lookup: child.lookup.clone(),
                };
                let one_child = One {
                    object: &child.object,
                    record_id: &child.record_id,
                    record: Some(&child.record),
                    parent: Some(&via),
                    over_limit: child.over_limit,
                    unauthorized: None,
                };
                let opening = Opening {
                    parent_record_id: Some(record_id),
                    ..Opening::default()
                };
                let (result, _) = one(
                    conn,
                    org,
                    f,
                    &links,
                    &mut schemas,
                    request.dry_run,
                    &one_child,
                    &opening,
                )
                .await?;
                let child_goes = result.outcome != Outcome::Refused;
                results.push(result);
                if !child_goes {
                    continue;
                }
                // The child's own tasks travel with it (a grandchild of the record).
                let child_key = (child.object.clone(), child.record_id.clone());
                for task in kids.get(&child_key).map(Vec::as_slice).unwrap_or_default() {
                    let via = ParentRef {
                        object: child.object.clone(),
                        record_id: child.record_id.clone(),
                        lookup: task.lookup.clone(),
                    };
                    let one_task = One {
                        object: &task.object,
                        record_id: &task.record_id,
                        record: Some(&task.record),
                        parent: Some(&via),
                        over_limit: task.over_limit,
                        unauthorized: None,
                    };
                    let opening = Opening {
                        parent_record_id: Some(&child.record_id),
                        ..Opening::default()
                    };
                    let (result, _) = one(
                        conn,
                        org,
                        f,
                        &links,
                        &mut schemas,
                        request.dry_run,
                        &one_task,
                        &opening,
                    )
                    .await?;
                    results.push(result);
                }
            }
        }
    }
    if request.send_email {
        tell_partners(conn, org, &facts, new_records).await?;
    }
    Ok(results)
}

/// The refusals told before the caller's authority: the connection and the record itself.
fn is_before_authority(code: &str) -> bool {
    matches!(code, "connection_not_accepted" | "record_not_found")
}

/// Queues one `RecordsForwardedV1` per connection that received new records: the notification
/// service emails the partner's contact about them.
async fn tell_partners(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    facts: &[ConnectionFacts],
    mut new_records: HashMap<Uuid, Vec<ForwardedRecord>>,
) -> Result<(), ForwardError> {
    for f in facts {
        let Some(records) = new_records.remove(&f.connection.id) else {
            continue;
        };
        // A connection without a contact on the partner's side has no one to email.
        let Some(recipient) = f.connection.partner_recipient(f.side) else {
            continue;
        };
        let event = RecordsForwardedV1 {
            connection_id: ConnectionId(f.connection.id),
            sender_org_name: f.connection.name_of(f.side),
            recipient,
            send_email: true,
            new_records: records,
        };
        shared::outbox::enqueue(conn, crate::NAME, &Envelope::new(org, event)).await?;
    }
    Ok(())
}

/// What one send is of.
struct Sending<'a> {
    object: &'a str,
    record_id: &'a str,
    parent: Option<&'a ParentRef>,
    opening: &'a Opening<'a>,
}

/// Opens the sender's link and queues the offer to the receiving org.
async fn send(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    facts: &ConnectionFacts,
    sending: &Sending<'_>,
    plan: Plan,
) -> Result<Option<Uuid>, ForwardError> {
    let connection = &facts.connection;
    // `plan` succeeds only on an accepted connection, which names both sides.
    let Some(receiver) = connection.partner_of(facts.side) else {
        return Ok(None);
    };
    let (object, record_id) = (sending.object, sending.record_id);
    let opened =
        store::open_sent(conn, org, connection.id, object, record_id, sending.opening).await?;
    let Some(link_id) = opened else {
        return Ok(None);
    };
    let offer = RecordForwardedV1 {
        connection_id: ConnectionId(connection.id),
        sender_org_id: org,
        sender_org_name: connection.name_of(facts.side),
        sender_link_id: link_id,
        object: object.to_string(),
        record_id: record_id.to_string(),
        name: plan.name,
        fields: plan.published_fields,
        send_open_tasks: sending.opening.send_open_tasks,
        send_closed_tasks: sending.opening.send_closed_tasks,
        send_emails: sending.opening.send_emails,
        parent: sending.parent.cloned(),
        currency: Some(facts.currency.clone()),
    };
    let envelope = Envelope::new(OrgId(receiver), offer);
    shared::outbox::enqueue(conn, crate::NAME, &envelope).await?;
    Ok(Some(link_id))
}

/// One record (or child record) to plan on one connection.
struct One<'a> {
    object: &'a str,
    record_id: &'a str,
    record: Option<&'a store::StoredRecord>,
    /// A child's parent, and its lookup to it.
    parent: Option<&'a ParentRef>,
    /// A task past the limit of its record.
    over_limit: bool,
    /// Why the caller may not forward the record (a child travels under its parent's check).
    unauthorized: Option<&'a Refusal>,
}

/// Plans one record on one connection and, unless a dry run, forwards it. With the result,
/// the record's name when it was sent on the connection for the first time (the email's list).
#[allow(clippy::too_many_arguments)]
async fn one(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    f: &ConnectionFacts,
    links: &[store::LinkRow],
    schemas: &mut HashMap<String, Vec<FieldDef>>,
    dry_run: bool,
    one: &One<'_>,
    opening: &Opening<'_>,
) -> Result<(ForwardResult, Option<String>), ForwardError> {
    let (object, record_id) = (one.object, one.record_id);
    if !schemas.contains_key(object) {
        let fields = objects::one(conn, org, object)
            .await?
            .map(|o| o.fields)
            .unwrap_or_default();
        schemas.insert(object.to_string(), fields);
    }
    let all_fields = schemas.get(object).map(Vec::as_slice).unwrap_or_default();
    let connection_id = f.connection.id;
    let published: Option<Vec<FieldDef>> = f.published.get(object).map(|names| {
        all_fields
            .iter()
            .filter(|d| names.contains(&d.api_name))
            .cloned()
            .collect()
    });
    let link = |direction: Direction| {
        links.iter().find(|l| {
            l.connection_id == connection_id
                && l.direction == direction.as_str()
                && l.object == object
                && l.local_record_id == record_id
        })
    };
    let received = link(Direction::Received);
    let sent = link(Direction::Sent);
    let plan = rules::plan(&Facts {
        object,
        record_id,
        connection_status: &f.connection.status,
        record: one.record.map(|r| Record {
            fields: &r.fields,
            private: r.private,
        }),
        published: published.as_deref(),
        subscription: f.subscriptions.get(object),
        came_from_connection: received.is_some(),
        parent_object: one.parent.map(|p| p.object.as_str()),
        copies: &f.copies,
    })
    .and_then(|plan| {
        if one.over_limit {
            Err(children::over_task_limit())
        } else {
            Ok(plan)
        }
    });
    // Who may forward is told once the record is known on an accepted connection, before
    // what the publications and subscription say.
    let plan = match (plan, one.unauthorized) {
        (Err(refusal), _) if is_before_authority(refusal.code) => Err(refusal),
        (_, Some(refusal)) => Err(refusal.clone()),
        (plan, None) => plan,
    };
    let mut result = ForwardResult {
        object: object.to_string(),
        record_id: record_id.to_string(),
        connection_id,
        outcome: Outcome::Refused,
        parent: one.parent.map(|p| ParentView {
            object: p.object.clone(),
            record_id: p.record_id.clone(),
        }),
        link_id: None,
        refusal: None,
        published_fields: None,
        target_object: None,
        mapped_fields: None,
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(refusal) => {
            result.refusal = Some(refusal);
            return Ok((result, None));
        }
    };
    result.published_fields = Some(plan.published_fields.clone());
    result.target_object = Some(plan.target_object.clone());
    result.mapped_fields = Some(plan.mapped_fields.clone());
    let mut new = None;
    result.outcome = if rules::already_shared(sent.and_then(|s| s.status())) {
        Outcome::AlreadyShared
    } else if dry_run {
        Outcome::WouldForward
    } else {
        let name = plan.name.clone();
        let sending = Sending {
            object,
            record_id,
            parent: one.parent,
            opening,
        };
        match send(conn, org, f, &sending, plan).await? {
            Some(link_id) => {
                result.link_id = Some(link_id);
                if sent.is_none() {
                    new = Some(name);
                }
                Outcome::Forwarded
            }
            None => Outcome::AlreadyShared,
        }
    };
    Ok((result, new))
}
