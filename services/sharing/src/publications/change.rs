//! The one place an org's published set on a connection changes: routes, template apply,
//! schema deletions (and config import) all call [`change_published`]. It locks the connection,
//! writes the new set, unsubscribes the partner from what is no longer published, marks the
//! partner's mappings of fields no longer published, and queues `PublicationsChangedV1`, all
//! in the caller's transaction.

use super::resolve::PublishedSet;
use crate::NAME;
use crate::connections::{self, Connection, Side};
use crate::schema::{field_mappings, published_objects, subscriptions};
use crate::subscriptions::announce::announce as announce_subscription;
use crate::subscriptions::store::Key;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::ids::{ConnectionId, OrgId};
use shared::message::events::Recipient;
use shared::message::events::sharing::{PublicationsChangedV1, PublishedObjectChange};
use shared::message::{Envelope, EnvelopeHead};
use shared::outbox;
use uuid::Uuid;

/// How to change the published set.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Make it exactly this set (whole-set PUT, template apply, import).
    Exactly(PublishedSet),
    /// Publish one object with these fields, leaving the others.
    Put(String, Vec<String>),
    /// Stop publishing one object.
    Remove(String),
    /// Stop publishing these fields of every object (a deleted field or object).
    Drop {
        object: String,
        fields: Option<Vec<String>>,
    },
}

/// What changed (empty when the set already was as asked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PublicationChange {
    pub objects_published: Vec<String>,
    pub objects_unpublished: Vec<String>,
    /// Per object, fields added and removed (a new object: all its fields added).
    pub changes: Vec<ObjectChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ObjectChange {
    pub object: String,
    pub fields_added: Vec<String>,
    pub fields_removed: Vec<String>,
}

impl PublicationChange {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no such connection")]
    NoConnection,
    #[error("the connection is {0}: publications change only on invited or accepted connections")]
    Closed(String),
    #[error("{0} is not published to this connection")]
    NotPublished(String),
    #[error("connection {0} has no one to tell on the partner's side")]
    NoPartnerRecipient(Uuid),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The published set of `org` on `connection_id` now.
pub async fn current(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    org: Uuid,
) -> QueryResult<PublishedSet> {
    let rows: Vec<(String, Vec<String>)> = published_objects::table
        .filter(published_objects::connection_id.eq(connection_id))
        .filter(published_objects::org_id.eq(org))
        .select((published_objects::object, published_objects::fields))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn edited(mut set: PublishedSet, edit: Edit) -> Result<PublishedSet, PublishError> {
    match edit {
        Edit::Exactly(wanted) => return Ok(wanted),
        Edit::Put(object, fields) => {
            set.insert(object, fields);
        }
        Edit::Remove(object) => {
            set.remove(&object)
                .ok_or(PublishError::NotPublished(object))?;
        }
        Edit::Drop { object, fields } => match fields {
            None => {
                set.remove(&object);
            }
            Some(dropped) => {
                if let Some(kept) = set.get_mut(&object) {
                    kept.retain(|f| !dropped.contains(f));
                    if kept.is_empty() {
                        set.remove(&object);
                    }
                }
            }
        },
    }
    Ok(set)
}

/// The difference between two sets, in object order.
pub fn diff(before: &PublishedSet, after: &PublishedSet) -> PublicationChange {
    let mut change = PublicationChange::default();
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let old = before.get(name).map(Vec::as_slice).unwrap_or_default();
        let new = after.get(name).map(Vec::as_slice).unwrap_or_default();
        let added: Vec<String> = new.iter().filter(|f| !old.contains(f)).cloned().collect();
        let removed: Vec<String> = old.iter().filter(|f| !new.contains(f)).cloned().collect();
        if !before.contains_key(name) {
            change.objects_published.push(name.clone());
        } else if !after.contains_key(name) {
            change.objects_unpublished.push(name.clone());
        }
        if !added.is_empty() || !removed.is_empty() {
            change.changes.push(ObjectChange {
                object: name.clone(),
                fields_added: added,
                fields_removed: removed,
            });
        }
    }
    change
}

/// Applies `edit` to what `org` publishes on `connection_id`. `cause` is the message that
/// asked for it (a consumer), or `None` for a request.
pub async fn change_published(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    edit: Edit,
    cause: Option<&EnvelopeHead>,
) -> Result<PublicationChange, PublishError> {
    let (connection, side) = connections::party_to(conn, org, connection_id, true)
        .await?
        .ok_or(PublishError::NoConnection)?;
    if !connection.open_for_publishing() {
        return Err(PublishError::Closed(connection.status.clone()));
    }
    let before = current(conn, connection_id, org.as_uuid()).await?;
    let after = edited(before.clone(), edit)?;
    let change = diff(&before, &after);
    if change.is_empty() {
        return Ok(change);
    }
    // Checked before writing, so a refusal leaves the transaction untouched.
    let partner = connection
        .partner_recipient(side)
        .ok_or(PublishError::NoPartnerRecipient(connection.id))?;
    write(conn, &connection, side, org, &before, &after, &change).await?;
    announce(conn, &connection, side, org, partner, &change, cause).await?;
    Ok(change)
}

/// Stops publishing `object` (or only `fields` of it) on every connection `org` publishes it to
/// (a deleted object or field: routes and config import).
pub async fn unpublish_everywhere(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    fields: Option<Vec<String>>,
) -> Result<(), PublishError> {
    let mut on: Vec<uuid::Uuid> = published_objects::table
        .filter(published_objects::org_id.eq(org.as_uuid()))
        .filter(published_objects::object.eq(object))
        .select(published_objects::connection_id)
        .load(conn)
        .await?;
    // One lock order for every connection, so two deletions cannot deadlock.
    on.sort();
    for connection_id in on {
        let edit = Edit::Drop {
            object: object.to_string(),
            fields: fields.clone(),
        };
        match change_published(conn, org, connection_id, edit, None).await {
            // Nothing crosses a closed connection any more: no one to tell.
            Ok(_) | Err(PublishError::Closed(_) | PublishError::NoConnection) => {}
            Err(err) => return Err(err),
        }
    }
    if fields.is_none() {
        // A deleted object is published nowhere, closed connections included.
        diesel::delete(
            published_objects::table
                .filter(published_objects::org_id.eq(org.as_uuid()))
                .filter(published_objects::object.eq(object)),
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

async fn write(
    conn: &mut AsyncPgConnection,
    connection: &Connection,
    side: Side,
    org: OrgId,
    before: &PublishedSet,
    after: &PublishedSet,
    change: &PublicationChange,
) -> Result<(), PublishError> {
    let partner = connection.partner_of(side);
    for object in &change.objects_unpublished {
        diesel::delete(published_objects::table.find((connection.id, org.as_uuid(), object)))
            .execute(conn)
            .await?;
        // The partner can no longer receive it: its subscription goes (mappings cascade).
        if let Some(partner) = partner {
            let ended = diesel::delete(subscriptions::table.find((connection.id, partner, object)))
                .execute(conn)
                .await?;
            if ended > 0 {
                let key = Key {
                    connection_id: connection.id,
                    org_id: partner,
                };
                announce_subscription(conn, key, org.as_uuid(), object, None).await?;
            }
        }
    }
    for (object, fields) in after {
        if before.get(object) == Some(fields) {
            continue;
        }
        diesel::insert_into(published_objects::table)
            .values((
                published_objects::connection_id.eq(connection.id),
                published_objects::org_id.eq(org.as_uuid()),
                published_objects::object.eq(object),
                published_objects::fields.eq(fields),
            ))
            .on_conflict((
                published_objects::connection_id,
                published_objects::org_id,
                published_objects::object,
            ))
            .do_update()
            .set((
                published_objects::fields.eq(fields),
                published_objects::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
    }
    let Some(partner) = partner else {
        return Ok(());
    };
    let publisher = connection.name_of(side);
    for object_change in &change.changes {
        if change.objects_unpublished.contains(&object_change.object) {
            continue;
        }
        let mappings = field_mappings::table
            .filter(field_mappings::connection_id.eq(connection.id))
            .filter(field_mappings::org_id.eq(partner))
            .filter(field_mappings::object.eq(&object_change.object));
        // The subscriber sees why a mapped field stopped arriving.
        for field in &object_change.fields_removed {
            diesel::update(mappings.filter(field_mappings::field.eq(field)))
                .set(field_mappings::problem.eq(format!("{publisher} stopped publishing {field}")))
                .execute(conn)
                .await?;
        }
        diesel::update(mappings.filter(field_mappings::field.eq_any(&object_change.fields_added)))
            .set(field_mappings::problem.eq(None::<String>))
            .execute(conn)
            .await?;
        // What flows to the subscriber changed with the published fields.
        let subscribed = diesel::select(diesel::dsl::exists(subscriptions::table.find((
            connection.id,
            partner,
            &object_change.object,
        ))))
        .get_result::<bool>(conn)
        .await?;
        if subscribed {
            let key = Key {
                connection_id: connection.id,
                org_id: partner,
            };
            announce_subscription(conn, key, org.as_uuid(), &object_change.object, None).await?;
        }
    }
    Ok(())
}

async fn announce(
    conn: &mut AsyncPgConnection,
    connection: &Connection,
    side: Side,
    org: OrgId,
    partner: Recipient,
    change: &PublicationChange,
    cause: Option<&EnvelopeHead>,
) -> Result<(), PublishError> {
    let event = PublicationsChangedV1 {
        connection_id: ConnectionId(connection.id),
        publisher_org_name: connection.name_of(side),
        partner,
        objects_published: change.objects_published.clone(),
        objects_unpublished: change.objects_unpublished.clone(),
        changes: change
            .changes
            .iter()
            .map(|c| PublishedObjectChange {
                object: c.object.clone(),
                fields_added: c.fields_added.clone(),
                fields_removed: c.fields_removed.clone(),
            })
            .collect(),
    };
    let envelope = match cause {
        Some(cause) => Envelope::caused_by(org, event, cause),
        None => Envelope::new(org, event),
    };
    outbox::enqueue(conn, NAME, &envelope).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &[(&str, &[&str])]) -> PublishedSet {
        entries
            .iter()
            .map(|(o, f)| (o.to_string(), f.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn the_diff_names_objects_published_unpublished_and_fields_changed() {
        let before = set(&[("Account", &["Name", "Phone"]), ("Case", &["Subject"])]);
        let after = set(&[("Account", &["Name", "Industry"]), ("Lead", &["LastName"])]);
        let change = diff(&before, &after);
        assert_eq!(change.objects_published, ["Lead"]);
        assert_eq!(change.objects_unpublished, ["Case"]);
        assert_eq!(change.changes.len(), 3);
        assert_eq!(change.changes[0].fields_added, ["Industry"]);
        assert_eq!(change.changes[0].fields_removed, ["Phone"]);
        assert!(diff(&after, &after).is_empty());
    }

    #[test]
    fn dropping_the_last_field_unpublishes_the_object() {
        let before = set(&[("Account", &["Tier__c"])]);
        let after = edited(
            before,
            Edit::Drop {
                object: "Account".into(),
                fields: Some(vec!["Tier__c".into()]),
            },
        )
        .expect("edited");
        assert!(after.is_empty());
    }
}
