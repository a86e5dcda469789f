//! What a subscriber sees: its subscriptions with each published field's mapping (and why a
//! mapping no longer works), and what the partner publishes to it with the objects and fields
//! of its own each could be mapped to.

use super::rules::Subscription;
use crate::connections::{Connection, Side};
use crate::objects::store as objects;
use crate::publications::change::current;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use shared::crm::mapping::{compatible, object_mappable, type_name};
use shared::crm::{FieldDef, ObjectDef};
use shared::ids::OrgId;
use std::collections::BTreeMap;

/// One object the partner publishes to the subscriber: its definition and the fields of it
/// that are published.
#[derive(Debug, Clone)]
pub struct Offered {
    pub object: ObjectDef,
    pub fields: Vec<FieldDef>,
}

/// What the partner of `side` publishes on `connection`, by object. The partner's field
/// definitions are read from its schema: it chose to publish them to this connection. An object
/// or field its schema lost is left out.
pub async fn offered(
    conn: &mut AsyncPgConnection,
    connection: &Connection,
    side: Side,
) -> diesel::QueryResult<BTreeMap<String, Offered>> {
    let Some(partner) = connection.partner_of(side) else {
        return Ok(BTreeMap::new());
    };
    let set = current(conn, connection.id, partner).await?;
    if set.is_empty() {
        return Ok(BTreeMap::new());
    }
    let defs = objects::all(conn, OrgId(partner)).await?;
    Ok(set
        .into_iter()
        .filter_map(|(name, fields)| {
            let object = defs.iter().find(|o| o.api_name == name)?.clone();
            let fields = fields
                .iter()
                .filter_map(|f| object.field(f).cloned())
                .collect();
            Some((name, Offered { object, fields }))
        })
        .collect())
}

/// One published field of a subscription and what it is mapped to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldMappingView {
    /// The published field's API name.
    pub field: String,
    /// The published field's type (`text`, `picklist`...); absent when no longer published.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<&'static str>,
    /// Your field it arrives in; `null`: it does not arrive.
    pub target_field: Option<String>,
    /// Whether a choice was made (a target, or `null` on purpose). Auto-map maps only
    /// undecided fields.
    pub decided: bool,
    /// Published value to your value; other values arrive as they are.
    pub picklist_values: BTreeMap<String, String>,
    /// Why the mapping no longer works (the partner stopped publishing the field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One of your subscriptions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    /// The partner's published object.
    pub object: String,
    /// Your object its records arrive as.
    pub target_object: String,
    pub auto_accept: bool,
    /// Whether the partner's deletes delete your copies (beyond S2S; default false).
    pub sync_deletes: bool,
    /// Each published field (and each mapped field no longer published), in published order.
    pub fields: Vec<FieldMappingView>,
}

/// The view of `subscription` to `object`, given what is published of it now.
pub fn describe(
    object: &str,
    subscription: &Subscription,
    offered: Option<&Offered>,
) -> SubscriptionView {
    let published: &[FieldDef] = offered.map(|o| o.fields.as_slice()).unwrap_or_default();
    let mut fields: Vec<FieldMappingView> = published
        .iter()
        .map(|f| {
            let mapping = subscription.mappings.get(&f.api_name);
            FieldMappingView {
                field: f.api_name.clone(),
                field_type: Some(type_name(&f.field_type)),
                target_field: mapping.and_then(|m| m.target.clone()),
                decided: mapping.is_some(),
                picklist_values: mapping
                    .map(|m| m.picklist_values.clone())
                    .unwrap_or_default(),
                problem: mapping.and_then(|m| m.problem.clone()),
            }
        })
        .collect();
    for (field, mapping) in &subscription.mappings {
        if !published.iter().any(|f| &f.api_name == field) {
            fields.push(FieldMappingView {
                field: field.clone(),
                field_type: None,
                target_field: mapping.target.clone(),
                decided: true,
                picklist_values: mapping.picklist_values.clone(),
                problem: Some(mapping.problem.clone().unwrap_or_else(|| {
                    format!("{field} is no longer published to you by the partner")
                })),
            });
        }
    }
    SubscriptionView {
        object: object.to_string(),
        target_object: subscription.target_object.clone(),
        auto_accept: subscription.auto_accept,
        sync_deletes: subscription.sync_deletes,
        fields,
    }
}

/// One of your objects a published object could be mapped to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetOption {
    pub object: String,
    pub label: String,
    /// Per published field, your fields of this object it could be mapped to (compatible
    /// types).
    pub fields: BTreeMap<String, Vec<String>>,
}

/// One object the partner publishes to you.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AvailableObject {
    pub object: String,
    pub label: String,
    pub custom: bool,
    /// The parent of a child object: its records follow their parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Whether auto-accept may be chosen (not for a child object).
    pub auto_accept_allowed: bool,
    /// Your object it is subscribed as, if you subscribed.
    pub subscribed_as: Option<String>,
    /// The published fields with their types.
    pub fields: Vec<FieldDef>,
    /// Your objects it could be mapped to.
    pub targets: Vec<TargetOption>,
}

/// What the partner publishes, with your objects each could be mapped to.
pub fn available(
    offered: &BTreeMap<String, Offered>,
    mine: &[ObjectDef],
    subscribed: &BTreeMap<String, Subscription>,
) -> Vec<AvailableObject> {
    offered
        .iter()
        .map(|(name, offer)| {
            let targets = mine
                .iter()
                .filter(|t| object_mappable(&offer.object, t).is_ok())
                .map(|target| TargetOption {
                    object: target.api_name.clone(),
                    label: target.label.clone(),
                    fields: offer
                        .fields
                        .iter()
                        .map(|f| {
                            let fits = target
                                .fields
                                .iter()
                                .filter(|t| compatible(&f.field_type, &t.field_type).is_ok())
                                .map(|t| t.api_name.clone())
                                .collect();
                            (f.api_name.clone(), fits)
                        })
                        .collect(),
                })
                .collect();
            AvailableObject {
                object: name.clone(),
                label: offer.object.label.clone(),
                custom: offer.object.custom,
                parent: offer.object.parent.clone(),
                auto_accept_allowed: offer.object.parent.is_none(),
                subscribed_as: subscribed.get(name).map(|s| s.target_object.clone()),
                fields: offer.fields.clone(),
                targets,
            }
        })
        .collect()
}
