//! Subscriptions and their field mappings as stored (`sharing.subscriptions`,
//! `sharing.field_mappings`): read one or all of an org's on a connection, replace one, remove
//! one.

use super::rules::{Mapping, Subscription};
use crate::schema::{field_mappings, subscriptions};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Whose subscription: the subscribing org on one connection.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub connection_id: Uuid,
    pub org_id: Uuid,
}

fn decode_values(field: &str, values: serde_json::Value) -> QueryResult<BTreeMap<String, String>> {
    serde_json::from_value(values).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("stored picklist values of {field}: {e}").into(),
        )
    })
}

/// Every subscription of the org on the connection, by published object.
pub async fn all(
    conn: &mut AsyncPgConnection,
    key: Key,
) -> QueryResult<BTreeMap<String, Subscription>> {
    let rows: Vec<(String, String, bool, bool)> = subscriptions::table
        .filter(subscriptions::connection_id.eq(key.connection_id))
        .filter(subscriptions::org_id.eq(key.org_id))
        .select((
            subscriptions::object,
            subscriptions::target_object,
            subscriptions::auto_accept,
            subscriptions::sync_deletes,
        ))
        .load(conn)
        .await?;
    let mut found: BTreeMap<String, Subscription> = rows
        .into_iter()
        .map(|(object, target_object, auto_accept, sync_deletes)| {
            let subscription = Subscription {
                target_object,
                auto_accept,
                sync_deletes,
                mappings: BTreeMap::new(),
            };
            (object, subscription)
        })
        .collect();
    type Row = (
        String,
        String,
        Option<String>,
        serde_json::Value,
        Option<String>,
    );
    let mappings: Vec<Row> = field_mappings::table
        .filter(field_mappings::connection_id.eq(key.connection_id))
        .filter(field_mappings::org_id.eq(key.org_id))
        .select((
            field_mappings::object,
            field_mappings::field,
            field_mappings::target_field,
            field_mappings::picklist_values,
            field_mappings::problem,
        ))
        .load(conn)
        .await?;
    for (object, field, target, values, problem) in mappings {
        let picklist_values = decode_values(&field, values)?;
        if let Some(subscription) = found.get_mut(&object) {
            subscription.mappings.insert(
                field,
                Mapping {
                    target,
                    picklist_values,
                    problem,
                },
            );
        }
    }
    Ok(found)
}

/// One subscription of the org on the connection.
pub async fn one(
    conn: &mut AsyncPgConnection,
    key: Key,
    object: &str,
) -> QueryResult<Option<Subscription>> {
    // An org subscribes to a handful of objects per connection: reading all is cheap.
    Ok(all(conn, key).await?.remove(object))
}

/// Stores `subscription` as the org's subscription to `object`, its mappings replacing the
/// previous ones. Returns whether it is new.
pub async fn save(
    conn: &mut AsyncPgConnection,
    key: Key,
    object: &str,
    subscription: &Subscription,
) -> QueryResult<bool> {
    let existed =
        diesel::update(subscriptions::table.find((key.connection_id, key.org_id, object)))
            .set((
                subscriptions::target_object.eq(&subscription.target_object),
                subscriptions::auto_accept.eq(subscription.auto_accept),
                subscriptions::sync_deletes.eq(subscription.sync_deletes),
                subscriptions::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?
            == 1;
    if existed {
        diesel::delete(
            field_mappings::table
                .filter(field_mappings::connection_id.eq(key.connection_id))
                .filter(field_mappings::org_id.eq(key.org_id))
                .filter(field_mappings::object.eq(object)),
        )
        .execute(conn)
        .await?;
    } else {
        diesel::insert_into(subscriptions::table)
            .values((
                subscriptions::connection_id.eq(key.connection_id),
                subscriptions::org_id.eq(key.org_id),
                subscriptions::object.eq(object),
                subscriptions::target_object.eq(&subscription.target_object),
                subscriptions::auto_accept.eq(subscription.auto_accept),
                subscriptions::sync_deletes.eq(subscription.sync_deletes),
            ))
            .execute(conn)
            .await?;
    }
    let mut rows = Vec::with_capacity(subscription.mappings.len());
    for (field, mapping) in &subscription.mappings {
        let values = serde_json::to_value(&mapping.picklist_values)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        rows.push((
            field_mappings::connection_id.eq(key.connection_id),
            field_mappings::org_id.eq(key.org_id),
            field_mappings::object.eq(object),
            field_mappings::field.eq(field),
            field_mappings::target_field.eq(mapping.target.clone()),
            field_mappings::picklist_values.eq(values),
            field_mappings::problem.eq(mapping.problem.clone()),
        ));
    }
    if !rows.is_empty() {
        diesel::insert_into(field_mappings::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(!existed)
}

/// Ends the org's subscription to `object` (its mappings go with it). Returns whether there
/// was one.
pub async fn remove(conn: &mut AsyncPgConnection, key: Key, object: &str) -> QueryResult<bool> {
    let removed =
        diesel::delete(subscriptions::table.find((key.connection_id, key.org_id, object)))
            .execute(conn)
            .await?;
    Ok(removed == 1)
}
